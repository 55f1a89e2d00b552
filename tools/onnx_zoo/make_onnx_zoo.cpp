// Writes one of the zoo's networks (tools/onnx_zoo/onnx_zoo.h) as an ONNX file with random weights.
// Usage: make_onnx_zoo --model NAME -o FILE [--seed N]
// Exit status: 0 written, 1 the file could not be written, 2 bad arguments.
#include "tools/onnx_zoo/onnx_zoo.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>

namespace {

constexpr uint32_t kDefaultSeed = 1;

void print_usage(std::ostream& out) {
  out << "usage: make_onnx_zoo --model NAME -o FILE [--seed N]\n  NAME:";
  for (const std::string& name : dlvp::zoo_onnx::model_names()) out << " " << name;
  out << "\n  N: weight seed, 0.." << UINT32_MAX << " (default " << kDefaultSeed << ")\n";
}

int bad_arguments(const std::string& message) {
  std::cerr << "make_onnx_zoo: " << message << "\n";
  print_usage(std::cerr);
  return 2;
}

// A whole decimal number within uint32_t, or false.
bool parse_seed(const std::string& text, uint32_t& seed) {
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  const unsigned long long value = std::stoull(text);
  if (value > UINT32_MAX) return false;
  seed = static_cast<uint32_t>(value);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_name, path;
  uint32_t seed = kDefaultSeed;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      print_usage(std::cout);
      return 0;
    }
    if (arg != "--model" && arg != "-o" && arg != "--seed") return bad_arguments("unknown argument '" + arg + "'");
    if (i + 1 == argc) return bad_arguments(arg + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--model") model_name = value;
    else if (arg == "-o") path = value;
    else if (!parse_seed(value, seed)) return bad_arguments("--seed '" + value + "' is not a number in 0.." +
                                                            std::to_string(UINT32_MAX));
  }
  if (model_name.empty()) return bad_arguments("--model is required");
  if (path.empty()) return bad_arguments("-o FILE is required");

  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  onnx::ModelProto model;
  const Clock::time_point start = Clock::now();
  try {
    model = dlvp::zoo_onnx::make_model(model_name, seed);
  } catch (const std::invalid_argument& e) {
    return bad_arguments(e.what());
  }
  const double generate_seconds = seconds_since(start);
  const Clock::time_point write_start = Clock::now();
  try {
    dlvp::zoo_onnx::write_model(model, path);
  } catch (const std::exception& e) {
    std::cerr << "make_onnx_zoo: " << e.what() << "\n";
    return 1;
  }
  const double write_seconds = seconds_since(write_start);
  std::printf("make_onnx_zoo: %s: %s (seed %u), %llu parameters, %.1f MB; generated in %.2f s, written in %.2f s\n",
              path.c_str(), model_name.c_str(), seed,
              static_cast<unsigned long long>(dlvp::zoo_onnx::count_parameters(model.graph())),
              static_cast<double>(model.ByteSizeLong()) / 1e6, generate_seconds, write_seconds);
  return 0;
}

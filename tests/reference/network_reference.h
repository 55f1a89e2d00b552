// A whole builder::Network through the reference arithmetic, layer by layer, following each
// layer's input (and an eltwise layer's second operand). The golden result of the builder's and
// the compiler's programs; also what dlvpc puts into a package as its expected test output.
#pragma once
#include "tests/reference/isa_interpreter.h"
#include "tools/builder/program.h"

#include <cstdint>
#include <vector>

namespace dlvp::ref {

// Every layer's int8 output, [c][h][w]; the last one is the network's output. Throws
// std::invalid_argument when a layer names an input that is not an earlier layer or the input
// size does not match `input_shape`.
std::vector<std::vector<int8_t>> run_network_layers(const builder::Network& network,
                                                    const builder::TensorShape& input_shape,
                                                    const std::vector<int8_t>& input, uint32_t accumulator_bits);

inline std::vector<int8_t> run_network(const builder::Network& network, const builder::TensorShape& input_shape,
                                       const std::vector<int8_t>& input, uint32_t accumulator_bits) {
  return run_network_layers(network, input_shape, input, accumulator_bits).back();
}

// A built program on the functional ISA interpreter: a DDR image with the constants, the input and
// poisoned output/scratch windows (every result byte must be written), then the output window.
struct ProgramRun {
  RunResult result;
  std::vector<int8_t> output;
};
ProgramRun run_program(const builder::Program& program, const CnnConfig& hw, const std::vector<int8_t>& input);

}  // namespace dlvp::ref

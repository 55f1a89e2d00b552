// dlvpc's calibration cache (docs/dlvpc.md, "Calibration cache"): the key changes with everything
// it names and nothing else; stored statistics come back as they went in; a truncated, corrupted,
// foreign or mismatched file is warned about (naming the file) and recomputed; concurrent writers
// never expose a half-written file; and dlvpc's packages are the same bit for bit with and without
// the cache, on the CNN and the LSTM path.
#include "tests/support/dlvp_cli.h"
#include "tools/dlvpc/calibration.h"
#include "tools/dlvpc/calibration_cache.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace dlvp::dlvpc {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(testing::TempDir()) / ("calib_cache_" + name);
  fs::remove_all(dir);
  return dir.string();
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

CalibrationStats sample_stats(size_t ops) {
  CalibrationStats s;
  s.samples = 7;
  s.input = {-0.5f, 1.0f, {}};
  for (size_t i = 0; i < ops; ++i) s.ops.push_back({-float(i), 2.5f * float(i + 1), {}});
  // The first ops' values as calibration sees them: their histograms travel with the ranges.
  for (size_t i = 0; i < std::min<size_t>(ops, 3); ++i) s.ops[i].add({-float(i), 0.0f, 0.3f, 2.5f * float(i + 1), 0.3f});
  return s;
}

Digest digest_of(const std::string& text) { return Sha256().add(std::string_view(text)).finish(); }

// A cache whose warnings are collected.
struct WatchedCache {
  std::vector<std::string> warnings;
  CalibrationCache cache;
  explicit WatchedCache(const std::string& dir)
      : cache(dir, [this](const std::string& w) { warnings.push_back(w); }) {}
};

TEST(CalibrationCache, KeyChangesWithTheModelTheInputsThePathAndTheOptions) {
  const Digest model = digest_of("model"), inputs = digest_of("inputs");
  const Digest key = calibration_key("cnn", model, inputs);
  EXPECT_EQ(key, calibration_key("cnn", model, inputs));
  EXPECT_NE(key, calibration_key("cnn", digest_of("model2"), inputs));
  EXPECT_NE(key, calibration_key("cnn", model, digest_of("inputs2")));
  EXPECT_NE(key, calibration_key("lstm", model, inputs));
  EXPECT_NE(calibration_key("lstm", model, inputs, "density=0.1"), calibration_key("lstm", model, inputs, "density=0.2"));
}

TEST(CalibrationCache, InputDigestFollowsTheBytesReadTheCountAndTheScaleNotThePath) {
  const std::string dir = fresh_dir("inputs");
  fs::create_directories(dir);
  std::vector<uint8_t> idx = {0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2};
  for (int i = 0; i < 12; ++i) idx.push_back(static_cast<uint8_t>(i * 7));
  write_bytes(dir + "/a.idx", idx);
  write_bytes(dir + "/b.idx", idx);
  const TensorShape shape{1, 2, 2};
  const Digest a = CalibrationInputs::open(dir + "/a.idx", 2, 0.5f, shape).digest();
  EXPECT_EQ(a, CalibrationInputs::open(dir + "/b.idx", 2, 0.5f, shape).digest());  // same bytes elsewhere
  EXPECT_NE(a, CalibrationInputs::open(dir + "/a.idx", 3, 0.5f, shape).digest());  // one more image read
  EXPECT_NE(a, CalibrationInputs::open(dir + "/a.idx", 2, 0.25f, shape).digest());
  idx.back() ^= 1;  // an image the count does not reach: the same inputs
  write_bytes(dir + "/b.idx", idx);
  EXPECT_EQ(a, CalibrationInputs::open(dir + "/b.idx", 2, 0.5f, shape).digest());
  idx[16] ^= 1;  // the first image
  write_bytes(dir + "/b.idx", idx);
  EXPECT_NE(a, CalibrationInputs::open(dir + "/b.idx", 2, 0.5f, shape).digest());
  EXPECT_EQ(CalibrationInputs::open("random:4", 1, 1, shape).digest(), CalibrationInputs::open("random:4", 9, 2, shape).digest());
  EXPECT_NE(CalibrationInputs::open("random:4", 1, 1, shape).digest(), CalibrationInputs::open("random:5", 1, 1, shape).digest());
}

TEST(CalibrationCache, MissThenHitGivesBackTheStoredStatistics) {
  WatchedCache w(fresh_dir("hit") + "/nested/dir");  // created with its parents
  const Digest key = digest_of("k");
  EXPECT_FALSE(w.cache.load_stats(key, 3));  // a miss is silent
  const CalibrationStats stats = sample_stats(3);
  w.cache.store(key, encode_stats(stats));
  const std::optional<CalibrationStats> back = w.cache.load_stats(key, 3);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->samples, stats.samples);
  EXPECT_EQ(back->input.lo, stats.input.lo);
  EXPECT_EQ(back->input.hi, stats.input.hi);
  ASSERT_EQ(back->ops.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back->ops[i].lo, stats.ops[i].lo);
    EXPECT_EQ(back->ops[i].hi, stats.ops[i].hi);
    EXPECT_EQ(back->ops[i].histogram, stats.ops[i].histogram);
  }
  EXPECT_TRUE(w.warnings.empty());
  // No temporary file is left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(fs::path(w.cache.file_of(key)).parent_path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST(CalibrationCache, LstmRangesRoundTrip) {
  WatchedCache w(fresh_dir("lstm"));
  LstmCalibration c;
  c.ranges.sequences = 3;
  c.ranges.x = {-1, 2}, c.ranges.h = {-0.5, 0.7}, c.ranges.c = {-3, 4}, c.ranges.y = {-0.25, 0.5}, c.ranges.preact = {-9, 8};
  c.head = {-6, 7};
  w.cache.store(digest_of("lstm"), encode_lstm(c));
  const std::optional<LstmCalibration> back = w.cache.load_lstm(digest_of("lstm"));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->ranges.sequences, 3u);
  EXPECT_EQ(back->ranges.c.lo, -3);
  EXPECT_EQ(back->ranges.preact.hi, 8);
  EXPECT_EQ(back->head.lo, -6);
  EXPECT_TRUE(w.warnings.empty());
}

// A stack's payload: every layer's ranges in order, then the head's; read back only for a stack of
// as many layers (another count is warned about and recomputed).
TEST(CalibrationCache, LstmStackRangesRoundTripForTheirLayerCount) {
  WatchedCache w(fresh_dir("lstm_stack"));
  LstmStackCalibration c;
  for (int k = 1; k <= 3; ++k) {
    LstmRanges& r = c.layers.emplace_back();
    r.sequences = 5;
    r.x = {-1.0 * k, 1}, r.h = {-0.5, 0.5 * k}, r.c = {-2, 2}, r.y = {-0.25 * k, 0.5}, r.preact = {-9, 8.0 * k};
  }
  c.head = {-6, 7};
  const Digest key = digest_of("lstm_stack");
  w.cache.store(key, encode_lstm_stack(c));
  const std::optional<LstmStackCalibration> back = w.cache.load_lstm_stack(key, 3);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->layers.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(back->layers[k].x.lo, c.layers[k].x.lo) << k;
    EXPECT_EQ(back->layers[k].h.hi, c.layers[k].h.hi) << k;
    EXPECT_EQ(back->layers[k].y.lo, c.layers[k].y.lo) << k;
    EXPECT_EQ(back->layers[k].preact.hi, c.layers[k].preact.hi) << k;
  }
  EXPECT_EQ(back->head.hi, 7);
  EXPECT_TRUE(w.warnings.empty());
  EXPECT_FALSE(w.cache.load_lstm_stack(key, 2));
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_NE(w.warnings[0].find("ranges of 3 layers, the stack has 2"), std::string::npos) << w.warnings[0];
}

// Stores a good file, breaks it with `damage`, and expects a miss with one warning naming the file
// and containing `why`.
void expect_refused(const std::string& name, const std::function<void(std::vector<uint8_t>&)>& damage, const std::string& why,
                    size_t ops = 4) {
  WatchedCache w(fresh_dir(name));
  const Digest key = digest_of(name);
  w.cache.store(key, encode_stats(sample_stats(4)));
  std::vector<uint8_t> bytes = read_bytes(w.cache.file_of(key));
  damage(bytes);
  write_bytes(w.cache.file_of(key), bytes);
  EXPECT_FALSE(w.cache.load_stats(key, ops)) << name;
  ASSERT_EQ(w.warnings.size(), 1u) << name;
  EXPECT_NE(w.warnings[0].find(w.cache.file_of(key)), std::string::npos) << w.warnings[0];
  EXPECT_NE(w.warnings[0].find(why), std::string::npos) << w.warnings[0];
  EXPECT_NE(w.warnings[0].find("recomputed"), std::string::npos) << w.warnings[0];
}

TEST(CalibrationCache, DamagedFilesAreWarnedAboutAndRecomputed) {
  expect_refused("empty", [](auto& b) { b.clear(); }, "truncated (0 bytes)");
  expect_refused("truncated", [](auto& b) { b.resize(b.size() - 5); }, "truncated?");
  expect_refused("grown", [](auto& b) { b.push_back(0); }, "offset 44");
  expect_refused("magic", [](auto& b) { b[0] = 'X'; }, "bad magic");
  expect_refused("version", [](auto& b) { b[8] = 99; }, "format version 99");
  expect_refused("key", [](auto& b) { b[20] ^= 0x40; }, "key inside differs");
  expect_refused("payload", [](auto& b) { b[60] ^= 0x01; }, "checksum does not match");
  expect_refused("checksum", [](auto& b) { b.back() ^= 0x80; }, "checksum does not match");
  expect_refused("other_model", [](auto&) {}, "statistics of 4 ops, the model has 5", 5);
}

TEST(CalibrationCache, NonFiniteRangesInAWellFormedFileAreRefused) {
  WatchedCache w(fresh_dir("nan"));
  CalibrationStats stats = sample_stats(2);
  stats.ops[1].hi = std::numeric_limits<float>::quiet_NaN();
  w.cache.store(digest_of("nan"), encode_stats(stats));
  EXPECT_FALSE(w.cache.load_stats(digest_of("nan"), 2));
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_NE(w.warnings[0].find("not a calibrated range"), std::string::npos) << w.warnings[0];
}

TEST(CalibrationCache, AHistogramBinOutsideTheHistogramIsRefused) {
  WatchedCache w(fresh_dir("bin"));
  CalibrationStats stats = sample_stats(2);
  stats.ops[1].histogram.assign(ValueRange::kHistogramBins + 1, HistogramBin{});
  stats.ops[1].histogram.back() = {1, 1.0, 1.0};  // written as bin kHistogramBins
  w.cache.store(digest_of("bin"), encode_stats(stats));
  EXPECT_FALSE(w.cache.load_stats(digest_of("bin"), 2));
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_NE(w.warnings[0].find("not a calibrated histogram"), std::string::npos) << w.warnings[0];
}

TEST(CalibrationCache, ADirectoryThatCannotBeCreatedIsRefusedByName) {
  const std::string dir = fresh_dir("blocked");
  fs::create_directories(dir);
  write_bytes(dir + "/file", {1});
  try {
    CalibrationCache cache(dir + "/file/sub");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/file/sub: cannot create the calibration cache directory"), std::string::npos)
        << e.what();
  }
}

// Four writer processes store the same key over and over while this one reads it until they are
// done: every read is a miss or the whole file, never a half-written one (no warning), and no temporary file remains.
TEST(CalibrationCache, ConcurrentWritersNeverExposeAHalfWrittenFile) {
  const std::string dir = fresh_dir("concurrent");
  const Digest key = digest_of("shared");
  // A payload of ~1 MB makes every write take many write() calls.
  const CalibrationStats stats = sample_stats(60000);
  const std::vector<uint8_t> payload = encode_stats(stats);
  std::vector<pid_t> writers;
  for (int w = 0; w < 4; ++w) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const CalibrationCache cache(dir, [](const std::string&) { _exit(3); });
      for (int i = 0; i < 25; ++i) cache.store(key, payload);
      _exit(0);
    }
    writers.push_back(pid);
  }
  WatchedCache reader(dir);
  int reads = 0, hits = 0;
  for (size_t running = writers.size(); running > 0;) {
    ++reads;
    if (const auto got = reader.cache.load(key)) {
      ++hits;
      EXPECT_EQ(*got, payload);
    }
    for (pid_t& pid : writers) {
      int status = 0;
      if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) {
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer warned or failed";
        pid = 0;
        --running;
      }
    }
  }
  EXPECT_GT(hits, 0) << "no read overlapped the writers (" << reads << " reads)";
  EXPECT_TRUE(reader.warnings.empty()) << reader.warnings.front();
  EXPECT_TRUE(reader.cache.load(key));
  for (const auto& entry : fs::directory_iterator(dir)) EXPECT_EQ(entry.path().extension(), ".dlvpcal") << entry.path();
}

// --- dlvpc's command line ---------------------------------------------------------------------------

std::string dlvpc(const std::string& args, int expect_status = 0) {
  const test::CliResult r = test::run_command(DLVPC_BINARY, args);
  EXPECT_EQ(r.status, expect_status) << args << "\n" << r.output;
  return r.output;
}

// Compiles `model` without a cache, then twice with one (a miss, then a hit): the three packages
// are the same bit for bit.
void expect_same_package_with_and_without_cache(const std::string& name, const std::string& model) {
  const std::string dir = fresh_dir("cli_" + name);
  fs::create_directories(dir);
  const std::string cache = dir + "/cache";
  const std::string base = "compile " + std::string(DLVP_SOURCE_DIR) + "/scenarios/models/" + model +
                           " --hw zynq7020 --calib random:3 -o ";
  EXPECT_EQ(dlvpc(base + dir + "/plain.dlvp").find("calibration statistics"), std::string::npos);
  EXPECT_NE(dlvpc(base + dir + "/miss.dlvp --calib-cache " + cache).find("calibration statistics computed, cached in " + cache),
            std::string::npos);
  EXPECT_NE(dlvpc(base + dir + "/hit.dlvp --calib-cache " + cache).find("calibration statistics from " + cache),
            std::string::npos);
  const std::vector<uint8_t> plain = read_bytes(dir + "/plain.dlvp");
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(plain, read_bytes(dir + "/miss.dlvp"));
  EXPECT_EQ(plain, read_bytes(dir + "/hit.dlvp"));
  // Another calibration source is another key: computed again.
  EXPECT_NE(dlvpc("compile " + std::string(DLVP_SOURCE_DIR) + "/scenarios/models/" + model +
                  " --hw zynq7020 --calib random:4 -o " + dir + "/other.dlvp --calib-cache " + cache)
                .find("calibration statistics computed"),
            std::string::npos);
}

TEST(DlvpcCalibCache, CnnPackageIsTheSameWithAndWithoutTheCache) {
  expect_same_package_with_and_without_cache("cnn", "fashion_cnn.onnx");
}

TEST(DlvpcCalibCache, LstmPackageIsTheSameWithAndWithoutTheCache) {
  expect_same_package_with_and_without_cache("lstm", "fashion_lstm.onnx");
}

TEST(DlvpcCalibCache, LstmStackPackageIsTheSameWithAndWithoutTheCache) {
  expect_same_package_with_and_without_cache("lstm_stack", "fashion_lstm2.onnx");
}

TEST(DlvpcCalibCache, LstmPruningIsPartOfTheKey) {
  const std::string dir = fresh_dir("cli_pruning");
  const std::string base = "compile " + std::string(DLVP_SOURCE_DIR) +
                           "/scenarios/models/fashion_lstm.onnx --hw zynq7020 --calib random:2 --calib-cache " + dir + " -o " +
                           dir + "/x.dlvp";
  EXPECT_NE(dlvpc(base + " --density 0.5").find("computed"), std::string::npos);
  EXPECT_NE(dlvpc(base + " --density 0.25").find("computed"), std::string::npos);
  EXPECT_NE(dlvpc(base + " --density 0.5 --set lstm.pes=8").find("computed"), std::string::npos);
  EXPECT_NE(dlvpc(base + " --density 0.1234567").find("computed"), std::string::npos);
  EXPECT_NE(dlvpc(base + " --density 0.1234568").find("computed"), std::string::npos);  // every digit counts
  EXPECT_NE(dlvpc(base + " --density 0.5").find("from"), std::string::npos);
}

TEST(DlvpcCalibCache, ACorruptCacheFileIsWarnedAboutAndTheSamePackageWritten) {
  const std::string dir = fresh_dir("cli_corrupt");
  const std::string base = "compile " + std::string(DLVP_SOURCE_DIR) +
                           "/scenarios/models/fashion_cnn.onnx --hw zynq7020 --calib random:2 --calib-cache " + dir + " -o ";
  dlvpc(base + dir + "/a.dlvp");
  std::string file;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".dlvpcal") file = entry.path().string();
  ASSERT_FALSE(file.empty());
  std::vector<uint8_t> bytes = read_bytes(file);
  bytes.resize(bytes.size() / 2);
  write_bytes(file, bytes);
  const std::string out = dlvpc(base + dir + "/b.dlvp");
  EXPECT_NE(out.find("dlvpc: warning: " + file + ": "), std::string::npos) << out;
  EXPECT_NE(out.find("computed, cached"), std::string::npos) << out;
  EXPECT_EQ(read_bytes(dir + "/a.dlvp"), read_bytes(dir + "/b.dlvp"));
  EXPECT_NE(dlvpc(base + dir + "/c.dlvp").find("statistics from"), std::string::npos);  // rewritten whole
}

TEST(DlvpcCalibCache, TwoCompilesAtOnceShareTheCache) {
  const std::string dir = fresh_dir("cli_two");
  const std::string base = "compile " + std::string(DLVP_SOURCE_DIR) +
                           "/scenarios/models/fashion_cnn.onnx --hw zynq7020 --calib random:20 --calib-cache " + dir + " -o ";
  const std::string both = "-c '" + std::string(DLVPC_BINARY) + " " + base + dir + "/a.dlvp & " + DLVPC_BINARY + " " + base +
                           dir + "/b.dlvp & wait'";
  const test::CliResult r = test::run_command("sh", both);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.find("warning"), std::string::npos) << r.output;
  EXPECT_EQ(read_bytes(dir + "/a.dlvp"), read_bytes(dir + "/b.dlvp"));
  EXPECT_NE(dlvpc(base + dir + "/c.dlvp").find("statistics from"), std::string::npos);
}

}  // namespace
}  // namespace dlvp::dlvpc

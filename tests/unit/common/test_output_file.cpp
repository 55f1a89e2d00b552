// Output files: written whole or not at all, or streamed with every write checked and a bound.
#include "ip/common/output_file.h"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(OutputFile, AnAtomicWriteReplacesTheFileWhole) {
  const std::string path = testing::TempDir() + "whole.txt";
  std::ofstream(path) << "old";
  EXPECT_EQ(dlvp::write_file_atomically(path, [](std::ostream& os) { os << std::string(200000, 'n'); }), "");
  EXPECT_EQ(read_file(path), std::string(200000, 'n'));
  EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST(OutputFile, AFailedWriteLeavesTheOldFileAndNoPartialOne) {
  // A file size limit makes the write fail half-way (EFBIG), as a full disk would (ENOSPC).
  const std::string path = testing::TempDir() + "kept.txt";
  std::ofstream(path) << "the good report";
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old;
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit small = old;
  small.rlim_cur = 100000;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string reason = dlvp::write_file_atomically(path, [](std::ostream& os) { os << std::string(300000, 'x'); });
  setrlimit(RLIMIT_FSIZE, &old);
  EXPECT_EQ(reason, "File too large");
  EXPECT_EQ(read_file(path), "the good report");
  EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST(OutputFile, FailuresGiveTheReason) {
  const std::string dir = testing::TempDir() + "a_folder";
  fs::create_directories(dir);
  EXPECT_EQ(dlvp::write_file_atomically(dir, [](std::ostream& os) { os << "x"; }), "Is a directory");
  EXPECT_FALSE(fs::exists(dir + ".partial"));
  EXPECT_EQ(dlvp::write_file_atomically(testing::TempDir() + "no/such/folder/f", [](std::ostream& os) { os << "x"; }),
            "No such file or directory");
  // A writer that throws leaves nothing behind.
  const std::string thrown = testing::TempDir() + "thrown.txt";
  EXPECT_THROW(dlvp::write_file_atomically(thrown, [](std::ostream&) { throw std::runtime_error("no"); }), std::runtime_error);
  EXPECT_FALSE(fs::exists(thrown));
  EXPECT_FALSE(fs::exists(thrown + ".partial"));
}

TEST(OutputFile, AStreamedFileStopsAtItsBoundWithANote) {
  const std::string path = testing::TempDir() + "streamed.log";
  dlvp::StreamedFile file;
  ASSERT_TRUE(file.open(path, 10, "[cut]\n"));
  file.write("12345\n");
  EXPECT_EQ(read_file(path), "12345\n") << "each write reaches the file at once";
  file.write("6789\n");  // 11 bytes in all: past the bound
  file.write("more\n");
  file.close();
  EXPECT_EQ(read_file(path), "12345\n[cut]\n");
  EXPECT_TRUE(file.cut());
  EXPECT_EQ(file.bytes_written(), 6u);
  EXPECT_EQ(file.error(), "");
}

TEST(OutputFile, AStreamedFileKeepsItsFirstFailure) {
  dlvp::StreamedFile full;
  ASSERT_TRUE(full.open("/dev/full", 1000, "[cut]\n"));
  full.write("lost\n");
  EXPECT_EQ(full.error(), "No space left on device");
  dlvp::StreamedFile missing;
  EXPECT_FALSE(missing.open(testing::TempDir() + "no/such/folder/f.log", 1000, ""));
  EXPECT_EQ(missing.error(), "No such file or directory");
  missing.write("ignored\n");
  EXPECT_EQ(missing.error(), "No such file or directory");
}

}  // namespace

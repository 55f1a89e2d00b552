// Files the simulator writes, with every write checked. A failure is recorded with the OS's reason,
// never thrown, so that a run can finish, print its summary and end with "output write failed"
// (platform/exit_status.h).
#pragma once
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace dlvp {

// Writes `path` whole or not at all: into `path`.partial beside it, flushed to the disk, then
// renamed over `path`, so a failed write never leaves a truncated file behind. Returns "" on
// success, else the reason ("No space left on device"). Exceptions from `write` propagate (the
// partial file is removed).
std::string write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);
// The same for a file other processes may be writing at the same time (a shared cache): the
// partial file's name is unique to this process and call (`path`.partial.PID.N, created
// exclusively), so no two writers ever share it; the last rename wins, and a reader of `path`
// sees one writer's whole file.
std::string write_file_atomically_shared(const std::string& path, const std::function<void(std::ostream&)>& write);

// An append-only file written while the simulation runs (a console log). Every write reaches the
// OS at once (the log is complete even if the simulator is killed) and is checked: the first
// failure is kept and later writes are skipped. At most `max_bytes` of text are written; the
// write that would pass the bound is replaced by `cut_note` (a line saying the rest was cut).
class StreamedFile {
 public:
  StreamedFile() = default;
  StreamedFile(const StreamedFile&) = delete;
  StreamedFile& operator=(const StreamedFile&) = delete;
  ~StreamedFile();

  // Creates or truncates `path`; false (and error() set) when it cannot be opened.
  bool open(const std::string& path, uint64_t max_bytes, std::string cut_note);
  void write(std::string_view text);
  void close();

  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }  // "" or the reason of the first failure
  uint64_t bytes_written() const { return written_; }
  bool cut() const { return cut_; }

 private:
  void fail(int err);

  int fd_ = -1;
  std::string path_;
  std::string error_;
  uint64_t max_bytes_ = 0;
  std::string cut_note_;
  uint64_t written_ = 0;
  bool cut_ = false;
};

}  // namespace dlvp

#include "output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <utility>
#include <cstring>
#include <streambuf>

namespace dlvp {
namespace {

// Writes all of `data`; returns 0 or the errno of the failure.
int write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

// A stream buffer over a file descriptor that keeps the errno of its first failed write
// (std::ofstream only says that something failed).
class FdStreamBuf : public std::streambuf {
 public:
  explicit FdStreamBuf(int fd) : fd_(fd) { setp(buffer_, buffer_ + sizeof buffer_); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    if (error_ == 0) error_ = write_all(fd_, pbase(), static_cast<size_t>(pptr() - pbase()));
    setp(buffer_, buffer_ + sizeof buffer_);
    return error_ == 0;
  }

  int fd_;
  int error_ = 0;
  char buffer_[64 * 1024];
};

// Writes `partial` (opened with `flags`), then renames it over `path`.
std::string write_and_rename(const std::string& partial, int flags, const std::string& path,
                             const std::function<void(std::ostream&)>& write) {
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0666);
  if (fd < 0) return std::strerror(errno);
  int error = 0;
  try {
    FdStreamBuf buffer(fd);
    std::ostream out(&buffer);
    write(out);
    out.flush();
    error = buffer.error();
    if (error == 0 && !out) error = EIO;  // the writer failed the stream itself
  } catch (...) {
    ::close(fd);
    ::unlink(partial.c_str());
    throw;
  }
  if (error == 0 && ::fsync(fd) != 0 && errno != EINVAL) error = errno;  // EINVAL: a device that cannot sync
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error == 0 && std::rename(partial.c_str(), path.c_str()) != 0) error = errno;
  if (error != 0) ::unlink(partial.c_str());
  return error == 0 ? std::string() : std::strerror(error);
}

}  // namespace

std::string write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  return write_and_rename(path + ".partial", O_TRUNC, path, write);
}

std::string write_file_atomically_shared(const std::string& path, const std::function<void(std::ostream&)>& write) {
  static std::atomic<uint64_t> writes{0};
  const std::string partial = path + ".partial." + std::to_string(::getpid()) + "." + std::to_string(writes++);
  return write_and_rename(partial, O_EXCL, path, write);
}

StreamedFile::~StreamedFile() { close(); }

bool StreamedFile::open(const std::string& path, uint64_t max_bytes, std::string cut_note) {
  close();
  path_ = path;
  error_.clear();
  max_bytes_ = max_bytes;
  cut_note_ = std::move(cut_note);
  written_ = 0;
  cut_ = false;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) fail(errno);
  return fd_ >= 0;
}

void StreamedFile::write(std::string_view text) {
  if (fd_ < 0 || cut_ || !error_.empty()) return;
  if (text.size() > max_bytes_ - written_) {
    cut_ = true;
    if (const int err = write_all(fd_, cut_note_.data(), cut_note_.size())) fail(err);
    return;
  }
  if (const int err = write_all(fd_, text.data(), text.size())) return fail(err);
  written_ += text.size();
}

void StreamedFile::close() {
  if (fd_ < 0) return;
  if (::close(fd_) != 0 && error_.empty()) fail(errno);
  fd_ = -1;
}

void StreamedFile::fail(int err) {
  if (error_.empty()) error_ = std::strerror(err);
}

}  // namespace dlvp

// The folder a run writes into (`dlvp run --out DIR`). Opening it removes the files an earlier run
// left there, so every file in it belongs to this run (a run without --trace leaves no old
// trace.json). The folder records the scenario it holds the output of (kOwner); a run of another
// scenario refuses it unless forced, so one scenario's results never silently replace another's. Every write is checked; a failure is collected, not thrown, so the run still ends
// with its summary, then with "cannot write <path>: <reason>" and status 121.
#pragma once
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace dlvp {

class OutputFolder {
 public:
  static constexpr const char* kReport = "report.json";
  static constexpr const char* kLayers = "layers.csv";
  static constexpr const char* kTrace = "trace.json";
  static constexpr const char* kUartLog = "uart.log";
  static constexpr const char* kDlvpLog = "dlvp.log";
  static constexpr const char* kReportHtml = "report.html";
  // Written by `dlvp diff A B --html` into B: a later run there removes it with the rest.
  static constexpr const char* kDiffHtml = "diff.html";
  // The scenario whose run the folder holds: its absolute path, one line.
  static constexpr const char* kOwner = ".dlvp-scenario";
  // Every file a run may write, in the folder.
  static const std::vector<const char*>& files();

  // Creates `dir` (and its parents) for a run of `scenario` and removes the files of files() (and
  // partial writes of them) that an earlier run left, then records `scenario` as the owner. Throws
  // ConfigError naming "--out DIR" when `dir` is not a folder or cannot be created, a stale file
  // cannot be removed or the owner not recorded, or (unless `force`) the folder holds the output of
  // another scenario: the message names both and suggests --force. A folder in the way of a file is
  // left alone: writing that file fails later and is reported.
  OutputFolder(std::string dir, const std::string& scenario, bool force);

  const std::string& dir() const { return dir_; }
  std::string path(const char* file) const;

  // Writes DIR/file whole or not at all (write_file_atomically); false and a failure recorded
  // when it could not be written.
  bool write(const char* file, const std::function<void(std::ostream&)>& writer);
  // Records that a file written by someone else (the UART's log, the log mirror, the ISS's
  // signature file) is incomplete.
  void record_failure(const std::string& path, const std::string& reason);
  // "cannot write <path>: reason", one per failed file, in the order they failed.
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  std::string dir_;
  std::vector<std::string> failures_;
};

}  // namespace dlvp

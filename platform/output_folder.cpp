#include "output_folder.h"

#include "ip/common/config_error.h"
#include "ip/common/output_file.h"

#include <filesystem>

namespace dlvp {
namespace fs = std::filesystem;

const std::vector<const char*>& OutputFolder::files() {
  static const std::vector<const char*> all = {kReport, kLayers, kTrace, kUartLog, kDlvpLog};
  return all;
}

OutputFolder::OutputFolder(std::string dir) : dir_(std::move(dir)) {
  const std::string where = "--out " + dir_;
  std::error_code ec;
  const fs::file_status status = fs::status(dir_, ec);
  if (fs::exists(status) && !fs::is_directory(status))
    throw ConfigError(where + ": " + (fs::is_regular_file(status) ? "is a file" : "is not a directory") +
                      "; the output folder must be a directory");
  fs::create_directories(dir_, ec);
  if (ec) throw ConfigError(where + ": cannot create the output folder: " + ec.message());
  for (const char* file : files()) {
    for (const std::string& stale : {path(file), path(file) + ".partial"}) {
      // A file or a link (the link, not its target); a folder in the way is not ours to delete.
      const fs::file_status s = fs::symlink_status(stale, ec);
      if (ec || fs::is_directory(s) || !fs::exists(s)) continue;
      if (!fs::remove(stale, ec) && ec)
        throw ConfigError(where + ": cannot remove " + stale + " of an earlier run: " + ec.message());
    }
  }
}

std::string OutputFolder::path(const char* file) const { return (fs::path(dir_) / file).string(); }

bool OutputFolder::write(const char* file, const std::function<void(std::ostream&)>& writer) {
  const std::string reason = write_file_atomically(path(file), writer);
  if (!reason.empty()) record_failure(path(file), reason);
  return reason.empty();
}

void OutputFolder::record_failure(const std::string& path, const std::string& reason) {
  failures_.push_back("cannot write " + path + ": " + reason);
}

}  // namespace dlvp

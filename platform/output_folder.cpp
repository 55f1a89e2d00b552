#include "output_folder.h"

#include "ip/common/config_error.h"
#include "ip/common/output_file.h"

#include <filesystem>
#include <fstream>

namespace dlvp {
namespace fs = std::filesystem;

const std::vector<const char*>& OutputFolder::files() {
  static const std::vector<const char*> all = {kReport, kLayers, kTrace, kUartLog, kDlvpLog, kReportHtml, kDiffHtml};
  return all;
}

namespace {

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  return (ec ? fs::path(path) : absolute).lexically_normal().string();
}

// The scenario an earlier run recorded, or "" (no run, or one from before owners were recorded).
std::string recorded_owner(const std::string& owner_file) {
  std::ifstream in(owner_file);
  std::string owner;
  std::getline(in, owner);
  return owner;
}

}  // namespace

OutputFolder::OutputFolder(std::string dir, const std::string& scenario, bool force) : dir_(std::move(dir)) {
  const std::string where = "--out " + dir_;
  std::error_code ec;
  const fs::file_status status = fs::status(dir_, ec);
  if (fs::exists(status) && !fs::is_directory(status))
    throw ConfigError(where + ": " + (fs::is_regular_file(status) ? "is a file" : "is not a directory") +
                      "; the output folder must be a directory");
  fs::create_directories(dir_, ec);
  if (ec) throw ConfigError(where + ": cannot create the output folder: " + ec.message());
  const std::string owner = absolute_path(scenario);
  if (const std::string earlier = recorded_owner(path(kOwner)); !force && !earlier.empty() && earlier != owner)
    throw ConfigError(where + ": holds the output of " + earlier + ", not of " + owner +
                      "; give another --out, or --force to replace that run's files");
  for (const char* file : files()) {
    for (const std::string& stale : {path(file), path(file) + ".partial"}) {
      // A file or a link (the link, not its target); a folder in the way is not ours to delete.
      const fs::file_status s = fs::symlink_status(stale, ec);
      if (ec || fs::is_directory(s) || !fs::exists(s)) continue;
      if (!fs::remove(stale, ec) && ec)
        throw ConfigError(where + ": cannot remove " + stale + " of an earlier run: " + ec.message());
    }
  }
  const std::string reason = write_file_atomically(path(kOwner), [&](std::ostream& os) { os << owner << "\n"; });
  if (!reason.empty()) throw ConfigError(where + ": cannot record the scenario in " + path(kOwner) + ": " + reason);
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

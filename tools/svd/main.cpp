// dlvp_svd FILE: writes the SoC's CMSIS-SVD description (platform/svd.h) to FILE, whole or not at
// all. The build runs it to make <build>/dlvp.svd (docs/periph.md, "SVD").
#include "ip/common/output_file.h"
#include "platform/exit_status.h"
#include "platform/svd.h"

#include <systemc>

#include <iostream>

int sc_main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: dlvp_svd FILE\n";
    return dlvp::exit_status::kBadInput;
  }
  const std::string error = dlvp::write_file_atomically(
      argv[1], [](std::ostream& os) { dlvp::write_svd(os, dlvp::default_svd_options()); });
  if (!error.empty()) {
    std::cerr << "dlvp_svd: cannot write " << argv[1] << ": " << error << "\n";
    return dlvp::exit_status::kOutputWriteFailed;
  }
  return 0;
}

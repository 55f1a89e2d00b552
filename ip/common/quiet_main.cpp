// A main() for every dlvp program (it takes precedence over libsystemc's): it disables the
// SystemC banner before the kernel starts, because the programs' standard output is theirs
// (the simulated software's console, summaries, test listings), then runs sc_main as usual.
#include <systemc>

#include <cstdlib>

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  return sc_core::sc_elab_and_sim(argc, argv);
}

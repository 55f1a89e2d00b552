// libFuzzer provides main(); libsystemc, which the libraries link, still refers to sc_main. The fuzz
// targets never elaborate a design.
#include <systemc>

int sc_main(int, char**) { return 0; }

// The program of the scripted gdb session (test_gdb_session.cpp): a function to break in, a
// global variable whose value gdb prints, a loop that calls it five times.
int total = 0;
volatile int calls = 0;

__attribute__((noinline)) int accumulate(int step) {
  total += step;  // gdb_demo.c:7, the first line of accumulate
  calls = calls + 1;
  return total;
}

int main(void) {
  for (int i = 1; i <= 5; ++i) accumulate(i);
  return total == 15 ? 0 : 1;
}

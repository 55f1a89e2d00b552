// Integer kernels for measuring the ISS's speed on compiled code (riscv64-unknown-elf-gcc -O2):
// a Fletcher checksum, an insertion sort and an int8 3x3 convolution, repeated. main() returns a
// checksum of the results; `bench_instructions` holds the instructions it retired (minstret).
#include <stdint.h>

#define ROUNDS 40
#define SORT_N 64
#define IMAGE 18
#define OUT (IMAGE - 2)

static uint32_t lcg_state = 12345;
static uint32_t lcg(void) { return lcg_state = lcg_state * 1664525u + 1013904223u; }

static uint8_t buffer[4096];
static int32_t values[SORT_N];
static int8_t image[IMAGE][IMAGE];
static int8_t kernel[3][3] = {{1, -2, 1}, {2, 4, -2}, {-1, 2, 1}};
static int32_t output[OUT][OUT];
volatile uint32_t bench_instructions;

static uint32_t fletcher32(const uint8_t* data, uint32_t n) {
  uint32_t a = 0, b = 0;
  for (uint32_t i = 0; i < n; ++i) {
    a = (a + data[i]) % 65535u;
    b = (b + a) % 65535u;
  }
  return (b << 16) | a;
}

static void insertion_sort(int32_t* v, int n) {
  for (int i = 1; i < n; ++i) {
    const int32_t x = v[i];
    int j = i - 1;
    while (j >= 0 && v[j] > x) {
      v[j + 1] = v[j];
      --j;
    }
    v[j + 1] = x;
  }
}

static void convolve(void) {
  for (int y = 0; y < OUT; ++y)
    for (int x = 0; x < OUT; ++x) {
      int32_t sum = 0;
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) sum += image[y + i][x + j] * kernel[i][j];
      output[y][x] = sum;
    }
}

static inline uint32_t minstret(void) {
  uint32_t v;
  __asm__ volatile("csrr %0, minstret" : "=r"(v));
  return v;
}

int main(void) {
  const uint32_t start = minstret();
  uint32_t result = 0;
  for (int round = 0; round < ROUNDS; ++round) {
    for (unsigned i = 0; i < sizeof buffer; ++i) buffer[i] = (uint8_t)lcg();
    result ^= fletcher32(buffer, sizeof buffer);
    for (int i = 0; i < SORT_N; ++i) values[i] = (int32_t)lcg();
    insertion_sort(values, SORT_N);
    for (int i = 1; i < SORT_N; ++i)
      if (values[i - 1] > values[i]) return -1;
    result += (uint32_t)values[SORT_N / 2];
    for (int y = 0; y < IMAGE; ++y)
      for (int x = 0; x < IMAGE; ++x) image[y][x] = (int8_t)lcg();
    convolve();
    for (int y = 0; y < OUT; ++y) result = result * 31u + (uint32_t)output[y][y];
  }
  bench_instructions = minstret() - start;
  return (int)result;
}

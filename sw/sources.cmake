# The sources of sw/, shared by its two builds: the native plugins (sw/CMakeLists.txt) and the
# RISC-V ELFs (sw/bsp/riscv/CMakeLists.txt). Paths are relative to sw/. An app is a folder in
# apps/ listed here with its sources; both builds make it (<build>/sw/apps/<app>.so and .elf).

# Freestanding C++17: no exceptions, no RTTI, no thread-safe static guards (no libsupc++); no fused
# multiply-adds, so that the CPU operations (platform/cpu_ops.cpp) give the same bytes natively.
set(DLVP_SW_FLAGS -fno-exceptions -fno-rtti -fno-threadsafe-statics -ffp-contract=off)

# HAL parts common to both targets, the drivers, and the model package's validation (shared with
# the host's readers). Each target adds its HAL backend.
set(DLVP_SW_LIBRARY_SOURCES
  hal/hal_common.cpp
  hal/hal_interrupts.cpp
  driver/dma_driver.cpp
  driver/intc_driver.cpp
  driver/pmu_driver.cpp
  driver/accel_driver.cpp
  driver/soc_memory.cpp
  ../platform/package_validation.cpp
  ../platform/cpu_ops.cpp
  ../platform/hardware_binding.cpp
)

set(DLVP_SW_APPS dma_selftest cnn_selftest run_package classify cpu_bench overlap)
set(DLVP_SW_APP_dma_selftest apps/dma_selftest/dma_selftest.cpp)
set(DLVP_SW_APP_cnn_selftest apps/cnn_selftest/cnn_selftest.cpp)
set(DLVP_SW_APP_run_package apps/run_package/run_package.cpp)
set(DLVP_SW_APP_classify apps/classify/classify.cpp apps/common/image_input.cpp)
set(DLVP_SW_APP_overlap apps/overlap/overlap.cpp apps/common/image_input.cpp)
set(DLVP_SW_APP_cpu_bench apps/cpu_bench/cpu_bench.cpp apps/cpu_bench/kernels.cpp apps/cpu_bench/bench_host.cpp)

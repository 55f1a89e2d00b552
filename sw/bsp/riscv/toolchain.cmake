# CMake toolchain file of the RISC-V build of sw/: Debian's bare-metal GCC (gcc-riscv64-unknown-elf)
# and picolibc (picolibc-riscv64-unknown-elf), RV32IMAC + Zicsr, ilp32 (soft-float), machine mode.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_CXX_COMPILER riscv64-unknown-elf-g++)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)  # nothing links without the BSP's crt0 and script

# picolibc.specs adds picolibc's headers and libraries (and --gc-sections); the "release" build of
# picolibc is the one optimized for speed (its memcpy copies words; the default, size-optimized
# build copies bytes).
set(dlvp_riscv_flags "-march=rv32imac_zicsr -mabi=ilp32 --specs=picolibc.specs --picolibc-buildtype=release")
set(CMAKE_C_FLAGS_INIT "${dlvp_riscv_flags}")
set(CMAKE_CXX_FLAGS_INIT "${dlvp_riscv_flags}")
set(CMAKE_ASM_FLAGS_INIT "${dlvp_riscv_flags}")
# GCC 12 chooses the multilib by the literal -march string and has none named rv32imac_zicsr: the
# link's -march=rv32imac (the last -march on the line wins) selects the rv32imac/ilp32 libgcc and
# picolibc. Zicsr is an assembler matter, the library code is the same. crt0 is the BSP's own.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-march=rv32imac -mabi=ilp32 -nostartfiles")
# The toolchain has no libstdc++: link C++ through the C driver, which adds no -lstdc++ (the BSP's
# runtime.cpp provides what freestanding C++ needs).
set(CMAKE_CXX_LINK_EXECUTABLE
    "<CMAKE_C_COMPILER> <FLAGS> <CMAKE_CXX_LINK_FLAGS> <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>")

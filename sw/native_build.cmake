# The native build of sw/ as functions, shared by the in-tree build (sw/CMakeLists.txt) and the
# out-of-tree SDK (sdk/DlvpSdkConfig.cmake, docs/software.md "Your own app"). `root` is a folder
# laid out as the repository: root/sw, root/ip, root/platform. Needs sources.cmake included.

# The drivers and the HAL over the CPU host model's operations table, as static library `target`
# (position-independent: it is linked into plugins). The freestanding flags stay private: host
# tests link it and keep exceptions and RTTI in their own code.
function(dlvp_sw_native_library target root)
  list(TRANSFORM DLVP_SW_LIBRARY_SOURCES PREPEND ${root}/sw/ OUTPUT_VARIABLE sources)
  add_library(${target} STATIC ${sources} ${root}/sw/hal/native/hal_native.cpp)
  target_include_directories(${target} PUBLIC ${root})
  target_compile_features(${target} PUBLIC cxx_std_17)
  target_compile_options(${target} PRIVATE ${DLVP_SW_FLAGS})
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# App `name` as a native plugin <output_dir>/<name>.so that the CPU host model loads (cpu.mode:
# native), linked with `library` (dlvp_sw_native_library) and the plugin entry point.
function(dlvp_sw_native_plugin name root library output_dir)
  add_library(${name} MODULE ${ARGN} ${root}/sw/hal/native/native_entry.cpp)
  target_compile_options(${name} PRIVATE ${DLVP_SW_FLAGS})
  target_link_libraries(${name} PRIVATE ${library})
  set_target_properties(${name} PROPERTIES PREFIX "" LIBRARY_OUTPUT_DIRECTORY ${output_dir})
endfunction()

# Stops the configuration with a clear message unless Debian's bare-metal RISC-V toolchain and
# picolibc are installed (the RV32 build of sw/ needs both).
function(dlvp_sw_require_riscv_toolchain)
  find_program(DLVP_RISCV_CXX riscv64-unknown-elf-g++)
  find_program(DLVP_RISCV_CC riscv64-unknown-elf-gcc)
  if(NOT DLVP_RISCV_CXX OR NOT DLVP_RISCV_CC)
    message(FATAL_ERROR "riscv64-unknown-elf-g++ not found: the RISC-V build of sw/ needs Debian's bare-metal "
                        "toolchain and picolibc: run tools/setup.sh")
  endif()
  execute_process(COMMAND ${DLVP_RISCV_CC} --specs=picolibc.specs -march=rv32imac -mabi=ilp32 -E -x c /dev/null
                  RESULT_VARIABLE picolibc_missing OUTPUT_QUIET ERROR_QUIET)
  if(picolibc_missing)
    message(FATAL_ERROR "picolibc for riscv64-unknown-elf not found (--specs=picolibc.specs fails): run tools/setup.sh")
  endif()
endfunction()

# ctest sw_riscv.cpu_bench_same_everywhere: the cpu_bench RISC-V ELF on QEMU's virt machine and on
# the dlvp ISS, and the native plugin on dlvp, all pass and print the same lines. QEMU counts
# instructions exactly (-icount shift=0), so its minstret line must equal the ISS's word for word
# (apart from the host's name); the native build prints no such line. All use the ELF's default
# iteration count.
#   cmake -DQEMU=qemu-system-riscv32 -DELF=cpu_bench.elf -DDLVP=dlvp -DSCENARIO=scenarios/cpu_bench.yaml
#         -DOUT=dir -P same_everywhere.cmake
cmake_minimum_required(VERSION 3.20)
foreach(var QEMU ELF DLVP SCENARIO OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "same_everywhere: set ${var}")
  endif()
endforeach()

set(count_line "cpu_bench: [0-9]+ instructions retired by the kernels \\(minstret\\) on ")

function(check_passed what status output)
  if(NOT status EQUAL 0 OR NOT output MATCHES "cpu_bench: PASS\n")
    message(FATAL_ERROR "${what} failed (${status}):\n${output}")
  endif()
endfunction()

execute_process(COMMAND ${QEMU} -machine virt -bios none -kernel ${ELF} -nographic -icount shift=0
                OUTPUT_VARIABLE qemu ERROR_VARIABLE qemu_errors RESULT_VARIABLE status TIMEOUT 120)
check_passed("QEMU" "${status}" "${qemu}${qemu_errors}")

# dlvp: the ELF on the ISS and the plugin built next to it natively; what the software printed is
# the run's uart.log.
string(REGEX REPLACE "\\.elf$" ".so" plugin ${ELF})
foreach(mode iss native)
  set(binary ${ELF})
  if(mode STREQUAL "native")
    set(binary ${plugin})
  endif()
  file(REMOVE_RECURSE ${OUT}/${mode})
  execute_process(COMMAND ${DLVP} run ${SCENARIO} --set cpu.mode=${mode} --set software.path=${binary}
                          --set "software.args=[0]" --out ${OUT}/${mode}
                  OUTPUT_VARIABLE output ERROR_VARIABLE output RESULT_VARIABLE status TIMEOUT 300)
  check_passed("dlvp ${mode}" "${status}" "${output}")
  file(READ ${OUT}/${mode}/uart.log ${mode})
endforeach()

if(NOT qemu MATCHES "${count_line}qemu virt\n" OR NOT iss MATCHES "${count_line}dlvp\n")
  message(FATAL_ERROR "an instruction count line is missing.\nQEMU:\n${qemu}\nISS:\n${iss}")
endif()
string(REPLACE "on qemu virt\n" "on dlvp\n" qemu_as_iss "${qemu}")
if(NOT qemu_as_iss STREQUAL iss)
  message(FATAL_ERROR "QEMU and the ISS print different lines.\nQEMU:\n${qemu}\nISS:\n${iss}")
endif()
string(REGEX REPLACE "${count_line}[^\n]*\n" "" iss_without_count "${iss}")
if(NOT iss_without_count STREQUAL native)
  message(FATAL_ERROR "the ISS and the native plugin print different lines.\nISS:\n${iss}\nnative:\n${native}")
endif()
message(STATUS "cpu_bench prints the same on QEMU, the ISS and natively:\n${iss}")

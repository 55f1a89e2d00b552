# ctest sdk.example_out_of_tree: installs the SDK from the dlvp build DLVP_BUILD into WORK/sdk,
# copies the example app EXAMPLE to WORK/src (away from the repository), configures and builds it
# there against the installed package only, and runs it with DLVP in both CPU modes.
file(REMOVE_RECURSE ${WORK})
file(COPY ${EXAMPLE}/ DESTINATION ${WORK}/src)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${what} failed (${status}):\n${out}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

run("installing the SDK" ${CMAKE_COMMAND} --install ${DLVP_BUILD} --component sdk --prefix ${WORK}/sdk)
if(EXISTS ${WORK}/sdk/share/dlvp-sdk/sw/apps)
  message(FATAL_ERROR "the SDK holds the in-tree apps (sw/apps)")
endif()
run("configuring the example" ${CMAKE_COMMAND} -S ${WORK}/src -B ${WORK}/src/build -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${WORK}/sdk -DDLVP_WERROR=ON "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Werror")
run("building the example" ${CMAKE_COMMAND} --build ${WORK}/src/build --parallel 2)

foreach(mode native iss)
  set(app ${WORK}/src/build/sdk_example.so)
  if(mode STREQUAL iss)
    set(app ${WORK}/src/build/sdk_example.elf)
  endif()
  run("running the example (${mode})" ${DLVP} run ${WORK}/src/example.yaml --set cpu.mode=${mode}
      --set software.path=${app} --out ${WORK}/run_${mode})
  if(NOT output MATCHES "sdk example: PASS: 4096 bytes copied by the DMA in [1-9][0-9]* ns")
    message(FATAL_ERROR "the example (${mode}) did not pass:\n${output}")
  endif()
  message(STATUS "${mode}: ${CMAKE_MATCH_0}")
  # The console input (example.yaml's uart.input, input.txt) echoed back.
  if(NOT output MATCHES "input line 1: hello from uart.input\nsdk example: input line 2: second line\nsdk example: 2 input lines")
    message(FATAL_ERROR "the example (${mode}) did not echo its console input:\n${output}")
  endif()
endforeach()

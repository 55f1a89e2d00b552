# The dlvp SDK as a CMake package (docs/software.md, "Your own app"): `find_package(DlvpSdk)` then
# `dlvp_add_app(<name> <sources>...)` builds an app for both CPU modes, out of the dlvp tree:
#   <build>/<name>.so   the native plugin (cpu.mode: native)
#   <build>/<name>.elf  the RV32IMAC ELF (cpu.mode: iss), made by the SDK's RISC-V project
#                       (sw/bsp/riscv) with its toolchain file, as an ExternalProject
# Installed by `cmake --install <dlvp build> --component sdk --prefix <dir>`: this file in
# <dir>/lib/cmake/DlvpSdk, the sources and HW/SW contract headers in <dir>/share/dlvp-sdk laid out
# as in the repository (sw/, ip/, platform/), compiled into the user's build like in-tree apps.
include_guard(GLOBAL)
get_filename_component(DLVP_SDK_ROOT "${CMAKE_CURRENT_LIST_DIR}/../../../share/dlvp-sdk" ABSOLUTE)
include(${DLVP_SDK_ROOT}/sw/sources.cmake)
include(${DLVP_SDK_ROOT}/sw/native_build.cmake)
include(ExternalProject)
dlvp_sw_require_riscv_toolchain()

dlvp_sw_native_library(dlvp_sdk_native ${DLVP_SDK_ROOT})

# The RV32 ELFs of every dlvp_add_app: one inner build, created once the calling project's
# top-level CMakeLists.txt has been read (deferred), so that it knows all the apps.
function(_dlvp_sdk_add_riscv_build)
  get_property(apps GLOBAL PROPERTY DLVP_SDK_APPS)
  set(apps_file "set(DLVP_SW_APPS ${apps})\n")
  set(elfs)
  foreach(app IN LISTS apps)
    get_property(sources GLOBAL PROPERTY DLVP_SDK_APP_${app})
    string(APPEND apps_file "set(DLVP_SW_APP_${app} \"${sources}\")\n")
    list(APPEND elfs ${CMAKE_BINARY_DIR}/${app}.elf)
  endforeach()
  # Written only when it changes: the inner build reconfigures when it does.
  file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/dlvp_sdk_apps.cmake CONTENT "${apps_file}")
  if(NOT DEFINED DLVP_WERROR)
    set(DLVP_WERROR OFF)
  endif()
  ExternalProject_Add(dlvp_sdk_riscv
    SOURCE_DIR ${DLVP_SDK_ROOT}/sw/bsp/riscv
    BINARY_DIR ${CMAKE_BINARY_DIR}/dlvp_sdk_riscv
    CMAKE_ARGS
      -DCMAKE_TOOLCHAIN_FILE=${DLVP_SDK_ROOT}/sw/bsp/riscv/toolchain.cmake
      -DDLVP_SOURCE_DIR=${DLVP_SDK_ROOT}
      -DDLVP_APP_DIR=${CMAKE_BINARY_DIR}
      -DDLVP_APPS_FILE=${CMAKE_BINARY_DIR}/dlvp_sdk_apps.cmake
      -DDLVP_WERROR=${DLVP_WERROR}
    BUILD_ALWAYS ON  # the inner build tracks the apps' sources and headers itself
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR>
    INSTALL_COMMAND ""
    BUILD_BYPRODUCTS ${elfs})
endfunction()

# Builds app `name` from `sources` (relative to the calling folder, or absolute) for both CPU modes.
function(dlvp_add_app name)
  if(NOT ARGN)
    message(FATAL_ERROR "dlvp_add_app(${name}): no sources")
  endif()
  set(sources)
  foreach(source IN LISTS ARGN)
    get_filename_component(source ${source} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    list(APPEND sources ${source})
  endforeach()
  dlvp_sw_native_plugin(${name} ${DLVP_SDK_ROOT} dlvp_sdk_native ${CMAKE_BINARY_DIR} ${sources})
  get_property(apps GLOBAL PROPERTY DLVP_SDK_APPS)
  if(NOT apps)
    cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _dlvp_sdk_add_riscv_build)
  endif()
  set_property(GLOBAL APPEND PROPERTY DLVP_SDK_APPS ${name})
  set_property(GLOBAL PROPERTY DLVP_SDK_APP_${name} ${sources})
endfunction()

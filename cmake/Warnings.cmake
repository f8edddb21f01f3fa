# Warnings as errors for every target of ours, through one INTERFACE target.
add_library(o365fwd_warnings INTERFACE)
target_compile_options(o365fwd_warnings INTERFACE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor
                                                  -Wcast-align -Wunused -Woverloaded-virtual -Wimplicit-fallthrough)
# GCC 12 reports false -Wrestrict positives inside libstdc++'s std::string concatenation at -O2/-O3
# (GCC bug 105329); the diagnostic is off for that compiler only.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(o365fwd_warnings INTERFACE -Wno-restrict)
endif()

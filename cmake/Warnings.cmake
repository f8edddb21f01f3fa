# Warnings as errors for every target of ours, through one INTERFACE target.
add_library(o365fwd_warnings INTERFACE)
target_compile_options(o365fwd_warnings INTERFACE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor
                                                  -Wcast-align -Wunused -Woverloaded-virtual -Wimplicit-fallthrough)

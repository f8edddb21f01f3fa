# Hardening flags live here because an RPM built on a non-EL host gets none from %optflags.
if(O365FWD_HARDENING AND NOT O365FWD_SANITIZE)
  add_compile_options(-fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIE)
  if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
    add_compile_definitions(_FORTIFY_SOURCE=2)
  endif()
  add_link_options(-pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack)
endif()

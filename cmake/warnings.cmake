# One warning set for the whole tree (style.md §5). -Werror only when asked (CI).
add_compile_definitions(_DEFAULT_SOURCE _GNU_SOURCE)
add_compile_options(
  -Wall -Wextra -Wshadow -Wformat=2 -Wformat-security -Wcast-qual -Wwrite-strings
  -Wstrict-prototypes -Wmissing-prototypes -Werror=vla -Werror=implicit-function-declaration
  -Wno-unused-parameter -fstack-protector-strong -fPIE)
if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
  add_compile_options(-D_FORTIFY_SOURCE=2)
endif()
add_link_options(-pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack)
if(SCS_WERROR)
  add_compile_options(-Werror)
endif()
if(SCS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Code that parses bytes from the network also gets -Wconversion.
set(SCS_STRICT_CONVERSION -Wconversion -Wsign-conversion)

# Turns glslang's `--vn` C array into a namespaced, inline constexpr C++ array (script mode).
file(READ ${RAW} body)
string(REGEX REPLACE ".*\\{" "" body "${body}")
string(REGEX REPLACE "\\}.*" "" body "${body}")
file(WRITE ${HEADER}
"#pragma once\n// Generated from GLSL by glslangValidator; do not edit.\n#include <cstdint>\n"
"namespace vulkanite::shaders {\ninline constexpr std::uint32_t ${NAME}[] = {${body}};\n}\n")

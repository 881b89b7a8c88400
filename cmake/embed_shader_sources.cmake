# Writes GLSL sources into a C++ header as raw string literals (script mode; see
# vulkanite_embed_shader_sources in VulkaniteShaders.cmake). FILES: paths under SHADER_DIR, "|"-separated.
set(delimiter "vkglsl")
string(REPLACE "|" ";" files "${FILES}")
set(body "")
foreach(f ${files})
  file(READ ${SHADER_DIR}/${f} text)
  string(FIND "${text}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw-string delimiter )${delimiter}\"")
  endif()
  string(APPEND body "    {\"${f}\", R\"${delimiter}(${text})${delimiter}\"},\n")
endforeach()
file(WRITE ${HEADER}
"#pragma once\n// Generated from shaders/ by cmake/embed_shader_sources.cmake; do not edit.\n"
"#include \"runtime/shader_compiler.hpp\"\n\nnamespace vulkanite::shaders {\n"
"inline constexpr runtime::ShaderSource ${NAME}[] = {\n${body}};\n}\n")

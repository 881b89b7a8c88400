# vulkanite_add_shader(TARGET tgt SOURCE file.comp NAME symbol [DEFINES A=1 B ...])
# (call it from the folder that holds the shader; `tgt` builds after it)
#
# Compiles one GLSL compute shader to SPIR-V with glslangValidator and embeds it in `tgt` as
#   namespace vulkanite::shaders { inline constexpr std::uint32_t <symbol>[] = {...}; }
# in the generated header <shaders/<symbol>.spv.hpp>. Variants of one source (pixel type,
# flavour) are separate calls with other DEFINES and NAMEs, as uVkCompute's permutations are.
# glslang's depfile makes an edit to any included file rebuild the shader.
find_program(GLSLANG_VALIDATOR glslangValidator REQUIRED DOC "glslang-tools")

function(vulkanite_add_shader)
  cmake_parse_arguments(ARG "" "TARGET;SOURCE;NAME" "DEFINES" ${ARGN})
  get_filename_component(source ${ARG_SOURCE} ABSOLUTE)
  set(out_dir ${PROJECT_BINARY_DIR}/generated/shaders)
  set(raw ${out_dir}/${ARG_NAME}.raw.h)
  set(header ${out_dir}/${ARG_NAME}.spv.hpp)
  set(defines)
  foreach(d ${ARG_DEFINES})
    list(APPEND defines -D${d})
  endforeach()
  add_custom_command(
    OUTPUT ${raw} ${header}  # raw first: the depfile names it
    COMMAND ${GLSLANG_VALIDATOR} --quiet --target-env vulkan1.2 -I${PROJECT_SOURCE_DIR}/shaders
            ${defines} --depfile ${raw}.d --vn ${ARG_NAME}_words -o ${raw} ${source}
    COMMAND ${CMAKE_COMMAND} -DRAW=${raw} -DHEADER=${header} -DNAME=${ARG_NAME}
            -P ${PROJECT_SOURCE_DIR}/cmake/wrap_spirv_header.cmake
    DEPENDS ${source} ${PROJECT_SOURCE_DIR}/cmake/wrap_spirv_header.cmake
    DEPFILE ${raw}.d
    COMMENT "glslang ${ARG_SOURCE} -> ${ARG_NAME}"
    VERBATIM)
  # The rule lives in this folder, so a target of this folder must own it.
  add_custom_target(shader_${ARG_NAME} DEPENDS ${header})
  add_dependencies(${ARG_TARGET} shader_${ARG_NAME})
endfunction()

# vulkanite_embed_shader_sources(TARGET tgt NAME symbol FILES path ...)
# (paths relative to shaders/)
#
# Embeds GLSL sources in `tgt` for kernels compiled at run time (runtime/shader_compiler.hpp), as
#   namespace vulkanite::shaders { inline constexpr runtime::ShaderSource <symbol>[] = {...}; }
# in the generated header <shaders/<symbol>.hpp>: the installed binary never reads the source tree.
function(vulkanite_embed_shader_sources)
  cmake_parse_arguments(ARG "" "TARGET;NAME" "FILES" ${ARGN})
  set(header ${PROJECT_BINARY_DIR}/generated/shaders/${ARG_NAME}.hpp)
  set(paths)
  foreach(f ${ARG_FILES})
    list(APPEND paths ${PROJECT_SOURCE_DIR}/shaders/${f})
  endforeach()
  string(REPLACE ";" "|" files "${ARG_FILES}")  # a list would be split into arguments
  add_custom_command(
    OUTPUT ${header}
    COMMAND ${CMAKE_COMMAND} -DSHADER_DIR=${PROJECT_SOURCE_DIR}/shaders -DFILES=${files} -DHEADER=${header}
            -DNAME=${ARG_NAME} -P ${PROJECT_SOURCE_DIR}/cmake/embed_shader_sources.cmake
    DEPENDS ${paths} ${PROJECT_SOURCE_DIR}/cmake/embed_shader_sources.cmake
    COMMENT "Embedding the sources of ${ARG_NAME}"
    VERBATIM)
  add_custom_target(shader_sources_${ARG_NAME} DEPENDS ${header})
  add_dependencies(${ARG_TARGET} shader_sources_${ARG_NAME})
endfunction()

#pragma once
// GLSL compiled at run time, for kernels whose source is only known then (fit models given as
// expressions, algorithms/fit_expression.hpp); built-in kernels are compiled at build time
// (cmake/VulkaniteShaders.cmake). glslang is linked in as a library; the SPIR-V is cached on
// disk beside the pipeline cache, so a model is compiled once per machine.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vulkanite::runtime {

// One source file by its path under shaders/ ("fit/fit.comp", "common/fit_math.glsl"): the
// generated <shaders/NAME_sources.hpp> embeds a folder's sources as an array of these.
struct ShaderSource {
  std::string_view path;
  std::string_view text;
};

struct CompiledShader {
  std::vector<std::uint32_t> spirv;
  std::filesystem::path cache_file;  // empty: not cached
  bool from_cache = false;
};

// Compiles `main` (a path among `sources`) for Vulkan 1.2 as the build compiles the built-in
// kernels (glslangValidator --target-env vulkan1.2: SPIR-V 1.5, no optimisation). `#include`
// resolves against `sources` by path; `preamble` holds #defines. The result is read from, or
// written to, cache_dir/spirv-HASH.spv, HASH covering every source, the preamble and glslang's
// version (empty cache_dir: no cache; a damaged or unwritable file is recompiled, never fatal).
// Throws std::runtime_error with glslang's log when the source does not compile.
CompiledShader compile_compute_shader(std::span<const ShaderSource> sources, std::string_view main,
                                      std::string_view preamble, const std::filesystem::path& cache_dir);

// glslang's version, as it enters the cache key: "glslang 12.0.0, SPIR-V generator 11".
std::string shader_compiler_version();

}  // namespace vulkanite::runtime

#include "runtime/shader_compiler.hpp"

#include <glslang/Public/ResourceLimits.h>
#include <glslang/Public/ShaderLang.h>
#include <glslang/SPIRV/GlslangToSpv.h>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

namespace vulkanite::runtime {
namespace {

constexpr std::uint32_t kSpirvMagic = 0x07230203u;

// Resolves every #include against the embedded sources by their path under shaders/ (the build
// passes -I shaders to glslangValidator, and the sources name their includes from there).
class EmbeddedIncluder : public glslang::TShader::Includer {
 public:
  explicit EmbeddedIncluder(std::span<const ShaderSource> sources) : sources_(sources) {}
  IncludeResult* includeLocal(const char* name, const char*, size_t) override { return find(name); }
  IncludeResult* includeSystem(const char* name, const char*, size_t) override { return find(name); }
  void releaseInclude(IncludeResult* result) override { delete result; }

 private:
  std::span<const ShaderSource> sources_;
  IncludeResult* find(const char* name) {
    for (const auto& s : sources_)
      if (s.path == name) return new IncludeResult(std::string(s.path), s.text.data(), s.text.size(), nullptr);
    return nullptr;
  }
};

// FNV-1a, 64 bits: a cache key, not a defence against anyone crafting collisions (the cache is
// the user's own directory).
std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (const char c : bytes) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return (hash ^ 0xffu) * 0x100000001b3ull;  // a separator, so that "ab","c" differs from "a","bc"
}

std::uint64_t checksum(std::span<const std::uint32_t> words) {
  return fnv1a(0xcbf29ce484222325ull, std::string_view(reinterpret_cast<const char*>(words.data()), words.size() * 4));
}

// A cache file is the SPIR-V followed by the 64-bit checksum of its bytes: a damaged or
// truncated file never reaches the driver.
std::vector<std::uint32_t> read_spirv(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.size() < 28 || bytes.size() % 4 != 0) return {};
  std::vector<std::uint32_t> words(bytes.size() / 4);
  bytes.copy(reinterpret_cast<char*>(words.data()), bytes.size());
  const std::uint64_t stored = words[words.size() - 2] | std::uint64_t{words.back()} << 32;
  words.resize(words.size() - 2);
  if (words[0] != kSpirvMagic || checksum(words) != stored) return {};
  return words;
}

// Written beside and renamed into place: concurrent processes see an old file or a whole new one.
bool write_spirv(const std::filesystem::path& file, std::vector<std::uint32_t> words) {
  std::error_code error;
  std::filesystem::create_directories(file.parent_path(), error);
  const auto temporary = file.string() + ".tmp." + std::to_string(::getpid());
  const std::uint64_t sum = checksum(words);
  words.push_back(static_cast<std::uint32_t>(sum));
  words.push_back(static_cast<std::uint32_t>(sum >> 32));
  {
    std::ofstream out(temporary, std::ios::binary);
    out.write(reinterpret_cast<const char*>(words.data()), static_cast<std::streamsize>(words.size() * 4));
    if (!out) {
      std::filesystem::remove(temporary, error);
      return false;
    }
  }
  std::filesystem::rename(temporary, file, error);
  return !error;
}

std::vector<std::uint32_t> compile(std::span<const ShaderSource> sources, std::string_view main,
                                   std::string_view preamble) {
  // glslang's symbol tables are per process: InitializeProcess once, never Finalize while a
  // compile may run.
  static std::once_flag initialized;
  std::call_once(initialized, [] { glslang::InitializeProcess(); });
  const ShaderSource* source = nullptr;
  for (const auto& s : sources)
    if (s.path == main) source = &s;
  if (!source) throw std::runtime_error("shader source " + std::string(main) + " is not embedded");

  glslang::TShader shader(EShLangCompute);
  const char* text = source->text.data();
  const int length = static_cast<int>(source->text.size());
  const std::string name(source->path), defines(preamble);
  const char* names[] = {name.c_str()};
  shader.setStringsWithLengthsAndNames(&text, &length, names, 1);
  shader.setPreamble(defines.c_str());
  shader.setEnvInput(glslang::EShSourceGlsl, EShLangCompute, glslang::EShClientVulkan, 100);
  shader.setEnvClient(glslang::EShClientVulkan, glslang::EShTargetVulkan_1_2);
  shader.setEnvTarget(glslang::EShTargetSpv, glslang::EShTargetSpv_1_5);
  const auto messages = static_cast<EShMessages>(EShMsgSpvRules | EShMsgVulkanRules);
  EmbeddedIncluder includer(sources);
  if (!shader.parse(GetDefaultResources(), 460, false, messages, includer))
    throw std::runtime_error("glslang could not compile " + name + ": " + shader.getInfoLog());
  glslang::TProgram program;
  program.addShader(&shader);
  if (!program.link(messages)) throw std::runtime_error("glslang could not link " + name + ": " + program.getInfoLog());
  std::vector<std::uint32_t> spirv;
  glslang::SpvOptions options;  // defaults: no optimiser, no validation, as glslangValidator -V
  spv::SpvBuildLogger logger;
  glslang::GlslangToSpv(*program.getIntermediate(EShLangCompute), spirv, &logger, &options);
  if (spirv.empty())
    throw std::runtime_error("glslang produced no SPIR-V for " + name + ": " + logger.getAllMessages());
  return spirv;
}

}  // namespace

std::string shader_compiler_version() {
  const auto v = glslang::GetVersion();
  return "glslang " + std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch) +
         v.flavor + ", SPIR-V generator " + std::to_string(glslang::GetSpirvGeneratorVersion());
}

CompiledShader compile_compute_shader(std::span<const ShaderSource> sources, std::string_view main,
                                      std::string_view preamble, const std::filesystem::path& cache_dir) {
  CompiledShader result;
  if (!cache_dir.empty()) {
    std::uint64_t key = fnv1a(0xcbf29ce484222325ull, shader_compiler_version());
    key = fnv1a(key, "vulkan1.2");
    key = fnv1a(key, preamble);
    key = fnv1a(key, main);
    for (const auto& s : sources) key = fnv1a(fnv1a(key, s.path), s.text);
    char name[40];
    std::snprintf(name, sizeof name, "spirv-%016llx.spv", static_cast<unsigned long long>(key));
    result.cache_file = cache_dir / name;
    result.spirv = read_spirv(result.cache_file);
    result.from_cache = !result.spirv.empty();
    if (result.from_cache) return result;
  }
  result.spirv = compile(sources, main, preamble);
  if (!result.cache_file.empty() && !write_spirv(result.cache_file, result.spirv)) {
    std::fprintf(stderr, "vulkanite: warning: cannot write the shader cache %s\n", result.cache_file.string().c_str());
    result.cache_file.clear();
  }
  return result;
}

}  // namespace vulkanite::runtime

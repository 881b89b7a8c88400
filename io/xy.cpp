#include "io/xy.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace vulkanite::io {

void write_xy(const std::filesystem::path& path, const XyColumns& columns,
              const std::vector<std::pair<std::string, std::string>>& header) {
  const std::size_t npt = columns.radial.size();
  if (columns.intensity.size() != npt || (!columns.sigma.empty() && columns.sigma.size() != npt))
    throw std::invalid_argument(path.string() + ": write_xy: columns of " + std::to_string(npt) + ", " +
                                std::to_string(columns.intensity.size()) + " and " +
                                std::to_string(columns.sigma.size()) + " values");
  const auto close = [](std::FILE* f) { std::fclose(f); };
  std::unique_ptr<std::FILE, decltype(close)> file(std::fopen(path.string().c_str(), "w"), close);
  if (!file) throw std::runtime_error(path.string() + ": cannot write (" + std::strerror(errno) + ")");
  std::FILE* out = file.get();
  std::fprintf(out, "# == vulkanite 1D integration (pyFAI-style) ==\n");
  std::fprintf(out, "# Unit: %s\n", columns.radial_unit.c_str());
  std::fprintf(out, "# npt: %zu\n", npt);
  for (const auto& [key, value] : header) std::fprintf(out, "# %s: %s\n", key.c_str(), value.c_str());
  // pyFAI's column line and number format ("%14.6e"), so that its readers and numpy.loadtxt agree.
  std::fprintf(out, "# %14s %14s%s\n", columns.radial_unit.c_str(), "I", columns.sigma.empty() ? "" : "          sigma");
  for (std::size_t i = 0; i < npt; ++i) {
    std::fprintf(out, "%14.6e %14.6e", columns.radial[i], columns.intensity[i]);
    if (!columns.sigma.empty()) std::fprintf(out, " %14.6e", columns.sigma[i]);
    std::fputc('\n', out);
  }
  if (std::fflush(out) != 0 || std::ferror(out))
    throw std::runtime_error(path.string() + ": write failed (" + std::strerror(errno) + ")");
}

}  // namespace vulkanite::io

#include "apps/find_peaks_output.hpp"

// PNG is written by hand with zlib rather than through a PNG library: zlib is already linked in
// (libhdf5 and libtiff depend on it), a PNG is a few chunks around one zlib stream, and zlib's
// crc32 is PNG's CRC. One more package (libpng) for a preview image is not worth it.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace vulkanite::apps {
namespace {

// Floats widened to double print (nlohmann: shortest round trip) as text that reads back as the
// same float.
double wide(float v) { return static_cast<double>(v); }

void put_u32(std::vector<unsigned char>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(v >> shift));
}

void put_chunk(std::vector<unsigned char>& out, const char (&type)[5], std::span<const unsigned char> data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  const auto crc = crc32(0L, out.data() + start, static_cast<uInt>(out.size() - start));
  put_u32(out, static_cast<std::uint32_t>(crc));
}

}  // namespace

std::size_t FramePeaks::count() const { return cheetah ? cheetah->peaks.size() : pyfai ? pyfai->size() : 0; }

std::vector<synthetic::PeakPosition> FramePeaks::positions() const {
  std::vector<synthetic::PeakPosition> out;
  if (cheetah)
    for (const auto& p : cheetah->peaks) out.push_back({wide(p.fs), wide(p.ss)});
  if (pyfai)
    for (const auto& p : *pyfai) out.push_back({wide(p.pos1), wide(p.pos0)});
  return out;
}

std::vector<io::CxiPeak> FramePeaks::cxi() const {
  std::vector<io::CxiPeak> out;
  if (cheetah)
    for (const auto& p : cheetah->peaks)
      out.push_back({p.fs, p.ss, p.total_intensity, p.max_intensity, static_cast<float>(p.pixel_count), p.snr});
  if (pyfai)
    for (const auto& p : *pyfai)
      out.push_back({p.pos1, p.pos0, p.intensity, 0.0f, 0.0f, p.sigma > 0.0f ? p.intensity / p.sigma : 0.0f});
  return out;
}

nlohmann::json FramePeaks::to_json() const {
  nlohmann::json peaks = nlohmann::json::array();
  if (cheetah)
    for (const auto& p : cheetah->peaks)
      peaks.push_back({{"fs", wide(p.fs)},
                       {"ss", wide(p.ss)},
                       {"total_intensity", wide(p.total_intensity)},
                       {"max_intensity", wide(p.max_intensity)},
                       {"pixel_count", p.pixel_count},
                       {"snr", wide(p.snr)},
                       {"sigma", wide(p.sigma)}});
  if (pyfai)
    for (const auto& p : *pyfai)
      peaks.push_back({{"index", p.index},
                       {"intensity", wide(p.intensity)},
                       {"sigma", wide(p.sigma)},
                       {"pos0", wide(p.pos0)},
                       {"pos1", wide(p.pos1)}});
  nlohmann::json j = {{"index", index}, {"source", source}, {"frame", frame}, {"npeaks", count()}};
  if (cheetah) j["found"] = cheetah->found;  // before the max_num_peaks cut
  if (score) {
    j["truth"] = score->truth_count;
    j["matched"] = score->matches.size();
    j["recall"] = score->recall;
    j["precision"] = score->precision;
  }
  j["peaks"] = std::move(peaks);
  return j;
}

PeakJson::PeakJson(std::FILE* out, const nlohmann::json& header) : out_(out) {
  std::fprintf(out_, "{\"header\": %s,\n\"frames\": [", header.dump().c_str());
}

void PeakJson::add(const FramePeaks& frame) {
  std::fprintf(out_, "%s\n%s", frames_++ == 0 ? "" : ",", frame.to_json().dump().c_str());
}

void PeakJson::finish(const nlohmann::json& summary) {
  std::fprintf(out_, "],\n\"summary\": %s}\n", summary.dump().c_str());
  std::fflush(out_);
}

HitList::HitList(const std::filesystem::path& path, std::size_t min_peaks)
    : path_(path), min_peaks_(min_peaks), out_(path, std::ios::trunc) {
  if (!out_) throw std::runtime_error("--hits " + path.string() + ": cannot write");
}

bool HitList::add(const FramePeaks& frame) {
  if (frame.count() < min_peaks_) return false;
  out_ << frame.source << ' ' << frame.frame << ' ' << frame.count() << '\n';
  return true;
}

void HitList::close() {
  out_.close();
  if (!out_) throw std::runtime_error("--hits " + path_.string() + ": cannot write");
}

void write_peaks_png(const std::filesystem::path& path, std::size_t rows, std::size_t columns,
                     std::span<const float> values, std::span<const std::uint8_t> bad,
                     std::span<const synthetic::PeakPosition> peaks) {
  if (values.size() != rows * columns) throw std::logic_error("write_peaks_png: size mismatch");
  const auto masked = [&](std::size_t i) { return !std::isfinite(values[i]) || (!bad.empty() && bad[i] != 0); };
  std::vector<float> positive;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!masked(i) && values[i] > 0.0f) positive.push_back(values[i]);
  float top = 1.0f;
  if (!positive.empty()) {
    // The 99.9th percentile, not the maximum: one hot pixel would leave the rest black.
    const auto k = positive.begin() + static_cast<std::ptrdiff_t>((positive.size() - 1) * 999 / 1000);
    std::nth_element(positive.begin(), k, positive.end());
    top = std::max(*k, 1.0f);
  }
  const double scale = 255.0 / std::log1p(static_cast<double>(top));
  // Each row starts with PNG's filter byte (0: none), then R, G, B per pixel.
  const std::size_t stride = 1 + 3 * columns;
  std::vector<unsigned char> raw(rows * stride, 0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < columns; ++c) {
      const std::size_t i = r * columns + c;
      if (masked(i)) continue;
      const double v = std::clamp(std::log1p(std::max(0.0, static_cast<double>(values[i]))) * scale, 0.0, 255.0);
      const auto grey = static_cast<unsigned char>(v);
      std::fill_n(raw.begin() + static_cast<std::ptrdiff_t>(r * stride + 1 + 3 * c), 3, grey);
    }
  constexpr double kRadius = 6.0;
  for (const auto& p : peaks) {
    // Enough points on the circle to leave no gap at this radius (one per 0.5 px of arc).
    for (int step = 0; step < 80; ++step) {
      const double a = 2.0 * 3.14159265358979323846 * step / 80.0;
      const double x = std::round(p.fs + kRadius * std::cos(a)), y = std::round(p.ss + kRadius * std::sin(a));
      if (x < 0 || y < 0 || x >= double(columns) || y >= double(rows)) continue;
      auto* px = raw.data() + static_cast<std::size_t>(y) * stride + 1 + 3 * static_cast<std::size_t>(x);
      px[0] = 255, px[1] = 0, px[2] = 0;
    }
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<unsigned char> packed(packed_size);
  if (compress2(packed.data(), &packed_size, raw.data(), static_cast<uLong>(raw.size()), 6) != Z_OK)
    throw std::runtime_error("--png " + path.string() + ": zlib compression failed");
  packed.resize(packed_size);

  std::vector<unsigned char> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<unsigned char> header;
  put_u32(header, static_cast<std::uint32_t>(columns));
  put_u32(header, static_cast<std::uint32_t>(rows));
  header.insert(header.end(), {8, 2, 0, 0, 0});  // 8 bits, RGB, deflate, no filter method, no interlace
  put_chunk(png, "IHDR", header);
  put_chunk(png, "IDAT", packed);
  put_chunk(png, "IEND", {});
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  out.close();
  if (!out) throw std::runtime_error("--png " + path.string() + ": cannot write");
}

}  // namespace vulkanite::apps

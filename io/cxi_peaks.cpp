#include "io/cxi_peaks.hpp"

#include "io/frame.hpp"
#include "io/hdf5_handle.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <vector>

namespace vulkanite::io {
namespace {

constexpr std::array<const char*, 6> kColumns = {"peakXPosRaw",      "peakYPosRaw", "peakTotalIntensity",
                                                 "peakMaximumValue", "peakNPixels", "peakSNR"};

float column(const CxiPeak& peak, std::size_t index) {
  switch (index) {
    case 0: return peak.fs;
    case 1: return peak.ss;
    case 2: return peak.total_intensity;
    case 3: return peak.maximum_value;
    case 4: return peak.n_pixels;
    default: return peak.snr;
  }
}

// An extendible dataset [0, width...] of `type`, chunked by `chunk_rows` rows and deflated
// lightly (peak tables are mostly the zero padding).
h5::Handle create_table(hid_t group, const char* name, hid_t type, std::size_t width) {
  const int rank = width == 0 ? 1 : 2;
  const std::array<hsize_t, 2> dims = {0, width};
  const std::array<hsize_t, 2> max_dims = {H5S_UNLIMITED, width};
  const std::array<hsize_t, 2> chunk = {width == 0 ? hsize_t{1024} : std::max<hsize_t>(1, 65536 / width), width};
  const h5::Handle space = h5::check(H5Screate_simple(rank, dims.data(), max_dims.data()), H5Sclose, "H5Screate_simple");
  const h5::Handle create = h5::check(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "H5Pcreate");
  h5::check(H5Pset_chunk(create.get(), rank, chunk.data()), "H5Pset_chunk");
  h5::check(H5Pset_deflate(create.get(), 1), "H5Pset_deflate");
  return h5::check(H5Dcreate2(group, name, type, space.get(), H5P_DEFAULT, create.get(), H5P_DEFAULT), H5Dclose,
                   (std::string("H5Dcreate2 ") + name).c_str());
}

// Appends one row to a table created above.
void append_row(hid_t dataset, hid_t memory_type, std::size_t row, std::size_t width, const void* values) {
  const std::array<hsize_t, 2> new_dims = {row + 1, width};
  h5::check(H5Dset_extent(dataset, new_dims.data()), "H5Dset_extent");
  const h5::Handle file_space = h5::check(H5Dget_space(dataset), H5Sclose, "H5Dget_space");
  const std::array<hsize_t, 2> start = {row, 0};
  const std::array<hsize_t, 2> count = {1, width};
  h5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
            "H5Sselect_hyperslab");
  const std::array<hsize_t, 1> memory_dims = {width == 0 ? hsize_t{1} : width};
  const h5::Handle memory_space = h5::check(H5Screate_simple(1, memory_dims.data(), nullptr), H5Sclose, "H5Screate_simple");
  h5::check(H5Dwrite(dataset, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, values), "H5Dwrite");
}

}  // namespace

struct CxiPeakWriter::Impl {
  std::filesystem::path path;
  std::size_t max_peaks = 0;
  std::size_t frames = 0;
  h5::Handle file;
  h5::Handle n_peaks;
  std::array<h5::Handle, kColumns.size()> columns;
  std::vector<float> row;

  [[noreturn]] void fail(const std::string& problem) const { throw FormatError(path.string() + ": " + problem); }

  // Closing without close(): a failure cannot be reported, but must not print HDF5's stack.
  ~Impl() {
    const h5::Quiet quiet;
    n_peaks.reset();
    for (auto& c : columns) c.reset();
    file.reset();
  }
};

CxiPeakWriter::CxiPeakWriter(const std::filesystem::path& path, std::size_t max_peaks, Mode mode)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->max_peaks = max_peaks;
  if (max_peaks == 0) impl_->fail("CXI peak tables need max_peaks > 0");
  impl_->row.resize(max_peaks);
  const h5::Quiet quiet;
  try {
    impl_->file = mode == Mode::create
                      ? h5::check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, "cannot create")
                      : h5::check(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, "cannot open for writing");
    const hid_t file = impl_->file.get();
    if (h5::link_exists(file, "/entry_1/result_1/nPeaks")) impl_->fail("/entry_1/result_1/nPeaks exists already");
    const h5::Handle links = h5::check(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "H5Pcreate");
    h5::check(H5Pset_create_intermediate_group(links.get(), 1), "H5Pset_create_intermediate_group");
    const h5::Handle group =
        h5::link_exists(file, "/entry_1/result_1")
            ? h5::check(H5Gopen2(file, "/entry_1/result_1", H5P_DEFAULT), H5Gclose, "H5Gopen2 /entry_1/result_1")
            : h5::check(H5Gcreate2(file, "/entry_1/result_1", links.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                        "H5Gcreate2 /entry_1/result_1");
    impl_->n_peaks = create_table(group.get(), "nPeaks", H5T_STD_I32LE, 0);
    for (std::size_t i = 0; i < kColumns.size(); ++i)
      impl_->columns[i] = create_table(group.get(), kColumns[i], H5T_IEEE_F32LE, max_peaks);
  } catch (const FormatError&) {
    throw;
  } catch (const std::runtime_error& e) {
    impl_->fail(e.what());
  }
}

CxiPeakWriter::~CxiPeakWriter() = default;
CxiPeakWriter::CxiPeakWriter(CxiPeakWriter&&) noexcept = default;
CxiPeakWriter& CxiPeakWriter::operator=(CxiPeakWriter&&) noexcept = default;

std::size_t CxiPeakWriter::frame_count() const { return impl_->frames; }
std::size_t CxiPeakWriter::max_peaks() const { return impl_->max_peaks; }

bool CxiPeakWriter::add_frame(std::span<const CxiPeak> peaks) {
  if (!impl_->file) impl_->fail("CXI peak writer is closed");
  const std::size_t kept = std::min(peaks.size(), impl_->max_peaks);
  const h5::Quiet quiet;
  try {
    const auto count = static_cast<std::int32_t>(kept);
    append_row(impl_->n_peaks.get(), H5T_NATIVE_INT32, impl_->frames, 0, &count);
    for (std::size_t c = 0; c < kColumns.size(); ++c) {
      std::fill(impl_->row.begin(), impl_->row.end(), 0.0f);
      for (std::size_t p = 0; p < kept; ++p) impl_->row[p] = column(peaks[p], c);
      append_row(impl_->columns[c].get(), H5T_NATIVE_FLOAT, impl_->frames, impl_->max_peaks, impl_->row.data());
    }
  } catch (const std::runtime_error& e) {
    impl_->fail("writing frame " + std::to_string(impl_->frames) + ": " + e.what());
  }
  ++impl_->frames;
  return kept == peaks.size();
}

void CxiPeakWriter::close() {
  if (!impl_ || !impl_->file) return;
  const h5::Quiet quiet;
  impl_->n_peaks.reset();
  for (auto& c : impl_->columns) c.reset();
  const herr_t status = H5Fclose(impl_->file.release());
  if (status < 0) impl_->fail("closing: " + h5::last_error());
}

}  // namespace vulkanite::io

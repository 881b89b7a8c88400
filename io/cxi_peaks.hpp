#pragma once
// Peak tables in the CXI layout Cheetah and OM write and CrystFEL reads with --peaks=cxi
// (geometry: `peak_list = /entry_1/result_1`, `peak_list_type = cxi`):
//   /entry_1/result_1/nPeaks              [n]            int32, peaks found in frame i
//   /entry_1/result_1/peakXPosRaw         [n, max_peaks] float32, fast-scan pixel coordinate
//   /entry_1/result_1/peakYPosRaw         [n, max_peaks] float32, slow-scan pixel coordinate
//   /entry_1/result_1/peakTotalIntensity, peakMaximumValue, peakNPixels, peakSNR  [n, max_peaks] float32
// Rows are padded with 0 past nPeaks. Coordinates are those of the frame as stored (the "raw"
// data array, panels stacked as in the file), with the centre of the first pixel at 0.0 as in
// Cheetah and OM: CrystFEL puts pixel corners at integers and adds 0.5 when it reads these tables
// (its --no-half-pixel-shift turns that off), so do not add 0.5 here.
// CrystFEL reads the peaks of a frame from the file that holds the frame: for indexamajig, write
// the tables into (or beside, then link) the CXI file of the frames, with row i = event i.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>

namespace vulkanite::io {

struct CxiPeak {
  float fs = 0;               // fast-scan (x) coordinate, pixel centres at integers
  float ss = 0;               // slow-scan (y) coordinate
  float total_intensity = 0;  // background-subtracted sum over the peak's pixels
  float maximum_value = 0;
  float n_pixels = 0;
  float snr = 0;
};

// Writes one row per frame, as frames come, into extendible datasets: a run of any length needs
// no more memory than one row. Throws FormatError naming the file on any HDF5 failure.
class CxiPeakWriter {
 public:
  enum class Mode {
    create,           // a new file (an existing one is replaced)
    add_to_existing,  // the frames' own CXI file, so indexamajig --peaks=cxi finds the tables
  };
  // Opens `path` with empty tables of width `max_peaks` in /entry_1/result_1 (which must not hold
  // an nPeaks already).
  CxiPeakWriter(const std::filesystem::path& path, std::size_t max_peaks, Mode mode = Mode::create);
  ~CxiPeakWriter();
  CxiPeakWriter(CxiPeakWriter&&) noexcept;
  CxiPeakWriter& operator=(CxiPeakWriter&&) noexcept;

  // Appends frame `frame_count()`'s peaks. Past `max_peaks` the rest are dropped, as Cheetah and
  // OM stop at their max_num_peaks; nPeaks then says max_peaks. Returns false when it dropped any.
  bool add_frame(std::span<const CxiPeak> peaks);
  std::size_t frame_count() const;
  std::size_t max_peaks() const;
  // Flushes and closes the file (the destructor does too, but cannot report a failure).
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vulkanite::io

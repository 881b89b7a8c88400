// HDF5 reader and writers. There is no real HDF5 data in the shared data, so each test builds
// its own small files with the HDF5 C API in a temporary directory; the broken corpus lives in
// tests/data/broken/hdf5/ (see make_corpus.cpp there).
#include "io/cxi_peaks.hpp"
#include "io/frame_source.hpp"
#include "io/h5_writer.hpp"
#include "support/temp_dir.hpp"

// The test target does not get libhdf5's include directory (io links it privately); Debian
// keeps the serial headers under hdf5/serial/, whose own includes are relative to that folder.
#if __has_include(<hdf5.h>)
#include <hdf5.h>
#else
#include <hdf5/serial/hdf5.h>
#endif

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace vulkanite {
namespace {

namespace fs = std::filesystem;

// Minimal RAII for the handles the tests create (the library's own wrapper is private to io/).
struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Id() { if (id >= 0) close(id); }
  operator hid_t() const { return id; }
};

Id create_file(const fs::path& path) { return {H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose}; }

Id intermediate_groups() {
  Id plist{H5Pcreate(H5P_LINK_CREATE), H5Pclose};
  H5Pset_create_intermediate_group(plist, 1);
  return plist;
}

template <class T>
void write_dataset(hid_t file, const char* path, hid_t file_type, hid_t memory_type, const std::vector<hsize_t>& dims,
                   const std::vector<T>& values, hid_t dcpl = H5P_DEFAULT) {
  const Id space{H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose};
  const Id lcpl = intermediate_groups();
  const Id set{H5Dcreate2(file, path, file_type, space, lcpl, dcpl, H5P_DEFAULT), H5Dclose};
  ASSERT_GE(set.id, 0) << path;
  ASSERT_GE(H5Dwrite(set, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0) << path;
}

// `null_padded`: the units as h5py and detector firmware often write them, exactly as long as the
// text with no terminator (H5T_STR_NULLPAD), rather than null-terminated.
void write_number(hid_t file, const char* path, double value, const char* units = nullptr, bool null_padded = false) {
  const Id space{H5Screate(H5S_SCALAR), H5Sclose};
  const Id lcpl = intermediate_groups();
  const Id set{H5Dcreate2(file, path, H5T_IEEE_F64LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT), H5Dclose};
  H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value);
  if (!units) return;
  const Id type{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(type, std::string(units).size() + (null_padded ? 0 : 1));
  if (null_padded) H5Tset_strpad(type, H5T_STR_NULLPAD);
  const Id attribute{H5Acreate2(set, "units", type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  H5Awrite(attribute, type, units);
}

// Pixel value of frame i at (y, x) in the test stacks: unique across frames and exact in uint16.
std::uint16_t pixel(std::size_t i, std::size_t y, std::size_t x) { return static_cast<std::uint16_t>(i * 4000 + y * 48 + x); }

std::vector<std::uint16_t> stack_values(std::size_t first, std::size_t frames, std::size_t ny, std::size_t nx) {
  std::vector<std::uint16_t> values;
  for (std::size_t i = first; i < first + frames; ++i)
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t x = 0; x < nx; ++x) values.push_back(pixel(i, y, x));
  return values;
}

void expect_frame(const io::Frame& frame, std::size_t i, std::size_t ny, std::size_t nx) {
  ASSERT_EQ(frame.shape, (std::vector<std::size_t>{ny, nx}));
  ASSERT_EQ(frame.type, io::PixelType::uint16);
  const auto values = frame.values<std::uint16_t>();
  std::size_t mismatches = 0;
  for (std::size_t y = 0; y < ny; ++y)
    for (std::size_t x = 0; x < nx; ++x) mismatches += values[y * nx + x] != pixel(i, y, x);
  EXPECT_EQ(mismatches, 0u) << frame.source;
}

std::string format_error(const fs::path& path, const std::string& dataset = "") {
  try {
    io::open_hdf5(path, dataset);
  } catch (const io::FormatError& e) {
    return e.what();
  }
  return "(no FormatError)";
}

TEST(Hdf5Reader, NxmxStackReadsEachFrameExactlyWithSiMetadata) {
  tests::TempDir dir;
  const auto path = dir.path() / "nxmx.h5";
  {
    const Id file = create_file(path);
    write_dataset(file, "/entry/data/data", H5T_STD_U16LE, H5T_NATIVE_UINT16, {5, 64, 48}, stack_values(0, 5, 64, 48));
    write_number(file, "/entry/instrument/beam/incident_wavelength", 0.9762, "angstrom", true);
    write_number(file, "/entry/instrument/detector/detector_distance", 150.5, "mm", true);
    write_number(file, "/entry/instrument/detector/beam_center_x", 24.25, "pixel");
    write_number(file, "/entry/instrument/detector/beam_center_y", 31.5);
    write_number(file, "/entry/instrument/detector/x_pixel_size", 75e-6, "m");
    write_number(file, "/entry/instrument/detector/y_pixel_size", 0.075, "mm");
    write_number(file, "/entry/instrument/detector/count_time", 10, "ms");
    write_number(file, "/entry/instrument/detector/detectorSpecific/countrate_correction_count_cutoff", 12345);
  }
  ASSERT_EQ(io::detect_format(path), io::Format::hdf5);
  const auto source = io::open_frames(path);
  EXPECT_EQ(source->format(), "HDF5 NXmx /entry/data/data");
  ASSERT_EQ(source->frame_count(), 5u);
  for (std::size_t i : {4u, 0u, 2u, 1u, 3u}) expect_frame(source->read(i), i, 64, 48);

  const auto frame = source->read(2);
  EXPECT_EQ(frame.source, path.string() + " frame 2");
  const auto& m = frame.metadata;
  EXPECT_DOUBLE_EQ(m.wavelength_m.value(), 0.9762e-10);
  EXPECT_DOUBLE_EQ(m.distance_m.value(), 0.1505);
  EXPECT_DOUBLE_EQ(m.beam_center_fast_px.value(), 24.25);
  EXPECT_DOUBLE_EQ(m.beam_center_slow_px.value(), 31.5);
  EXPECT_DOUBLE_EQ(m.pixel_size_fast_m.value(), 75e-6);
  EXPECT_DOUBLE_EQ(m.pixel_size_slow_m.value(), 75e-6);
  EXPECT_DOUBLE_EQ(m.exposure_time_s.value(), 0.01);
  EXPECT_DOUBLE_EQ(m.count_cutoff.value(), 12345);
  EXPECT_THROW(source->read(5), std::out_of_range);
}

TEST(Hdf5Reader, NxmxMetadataInMetresAndUnknownUnitsKeptVerbatim) {
  tests::TempDir dir;
  const auto path = dir.path() / "metres.h5";
  {
    const Id file = create_file(path);
    write_dataset(file, "/entry/data/data", H5T_STD_U16BE, H5T_NATIVE_UINT16, {64, 48}, stack_values(0, 1, 64, 48));
    write_number(file, "/entry/instrument/beam/incident_wavelength", 1.2e-10, "m");
    write_number(file, "/entry/instrument/detector/distance", 0.2, "m");
    write_number(file, "/entry/instrument/detector/beam_center_x", 1.5e-3, "m");  // a length: / pixel size
    write_number(file, "/entry/instrument/detector/x_pixel_size", 75e-6, "m");
    write_number(file, "/entry/instrument/detector/count_time", 2, "fortnight");
  }
  const auto source = io::open_hdf5(path);
  ASSERT_EQ(source->frame_count(), 1u);
  const auto frame = source->read(0);
  expect_frame(frame, 0, 64, 48);  // big-endian in the file, native in memory
  EXPECT_DOUBLE_EQ(frame.metadata.wavelength_m.value(), 1.2e-10);
  EXPECT_DOUBLE_EQ(frame.metadata.distance_m.value(), 0.2);
  EXPECT_DOUBLE_EQ(frame.metadata.beam_center_fast_px.value(), 20.0);
  EXPECT_FALSE(frame.metadata.beam_center_slow_px);
  EXPECT_FALSE(frame.metadata.exposure_time_s);
  EXPECT_EQ(frame.metadata.other.at("/entry/instrument/detector/count_time"), "2.000000 fortnight");
}

TEST(Hdf5Reader, EigerMasterJoinsExternalLinksInOrder) {
  tests::TempDir dir;
  for (const auto& [name, first, frames] : {std::tuple{"series_data_000001.h5", 0u, 3u}, std::tuple{"series_data_000002.h5", 3u, 2u}}) {
    const Id file = create_file(dir.path() / name);
    write_dataset(file, "/entry/data/data", H5T_STD_U16LE, H5T_NATIVE_UINT16, {frames, 64, 48}, stack_values(first, frames, 64, 48));
  }
  const auto master = dir.path() / "series_master.h5";
  {
    const Id file = create_file(master);
    const Id lcpl = intermediate_groups();
    // Relative names, as Dectris writes them: libhdf5 looks beside the master file.
    H5Lcreate_external("series_data_000001.h5", "/entry/data/data", file, "/entry/data/data_000001", lcpl, H5P_DEFAULT);
    H5Lcreate_external("series_data_000002.h5", "/entry/data/data", file, "/entry/data/data_000002", lcpl, H5P_DEFAULT);
    write_number(file, "/entry/instrument/beam/incident_wavelength", 1.0);  // no units: angstrom
  }
  const auto source = io::open_hdf5(master);
  EXPECT_EQ(source->format(), "HDF5 NXmx /entry/data/data_000001..data_000002 (2 linked datasets, 5 frames)");
  ASSERT_EQ(source->frame_count(), 5u);
  for (std::size_t i = 0; i < 5; ++i) expect_frame(source->read(i), i, 64, 48);
  EXPECT_DOUBLE_EQ(source->read(4).metadata.wavelength_m.value(), 1e-10);

  fs::remove(dir.path() / "series_data_000002.h5");
  EXPECT_EQ(format_error(master), master.string() + ": cannot open /entry/data/data_000002 (external link to "
                                      "series_data_000002.h5:/entry/data/data): can't get info for object: "
                                      "'/entry/data/data_000002': unable to open external file, external link file name = "
                                      "'series_data_000002.h5'");
}

TEST(Hdf5Reader, CxiLayoutsAndEnergyInJoules) {
  tests::TempDir dir;
  const auto path = dir.path() / "run.cxi";
  std::vector<float> values(2 * 10 * 12);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.25f - 7.0f;
  constexpr double kEnergyJ = 9500 * 1.602176634e-19;  // 9.5 keV
  {
    const Id file = create_file(path);
    write_dataset(file, "/entry_1/data_1/data", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {2, 10, 12}, values);
    write_number(file, "/entry_1/instrument_1/source_1/energy", kEnergyJ);
    write_number(file, "/entry_1/instrument_1/detector_1/distance", 0.125);
    write_number(file, "/entry_1/instrument_1/detector_1/x_pixel_size", 110e-6);
    write_number(file, "/entry_1/instrument_1/detector_1/y_pixel_size", 110e-6);
  }
  const auto source = io::open_hdf5(path);
  EXPECT_EQ(source->format(), "HDF5 CXI /entry_1/data_1/data");
  ASSERT_EQ(source->frame_count(), 2u);
  const auto frame = source->read(1);
  ASSERT_EQ(frame.type, io::PixelType::float32);
  const auto read = frame.values<float>();
  EXPECT_TRUE(std::equal(read.begin(), read.end(), values.begin() + 120));
  EXPECT_NEAR(frame.metadata.wavelength_m.value(), 1.30510e-10, 1e-15);  // 12.39842 keV A / 9.5 keV
  EXPECT_DOUBLE_EQ(frame.metadata.distance_m.value(), 0.125);
  EXPECT_DOUBLE_EQ(frame.metadata.pixel_size_slow_m.value(), 110e-6);

  const auto single = dir.path() / "single.cxi";
  {
    const Id file = create_file(single);
    write_dataset(file, "/entry_1/instrument_1/detector_1/data", H5T_STD_I8LE, H5T_NATIVE_INT8, {3, 4},
                  std::vector<std::int8_t>{-128, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 127});
  }
  const auto one = io::open_hdf5(single);
  EXPECT_EQ(one->format(), "HDF5 CXI /entry_1/instrument_1/detector_1/data");
  ASSERT_EQ(one->frame_count(), 1u);
  const auto small = one->read(0);
  EXPECT_EQ(small.shape, (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(small.values<std::int8_t>()[0], -128);
  EXPECT_EQ(small.values<std::int8_t>()[11], 127);
}

template <class T>
void check_pixel_type(const fs::path& dir, hid_t file_type, hid_t memory_type) {
  const std::vector<T> values = {T(1), T(2), T(100), T(3), T(4), T(5)};
  const auto path = dir / (std::string(io::pixel_type_name(io::pixel_type_of<T>())) + ".h5");
  {
    const Id file = create_file(path);
    write_dataset(file, "/some/where/pixels", file_type, memory_type, {2, 3}, values);
  }
  const auto source = io::open_hdf5(path, "some/where/pixels");
  EXPECT_EQ(source->format(), "HDF5 /some/where/pixels");
  const auto frame = source->read(0);
  ASSERT_EQ(frame.type, io::pixel_type_of<T>());
  const auto read = frame.values<T>();
  EXPECT_TRUE(std::equal(read.begin(), read.end(), values.begin())) << path;
}

TEST(Hdf5Reader, EveryPixelTypeByExplicitDataset) {
  tests::TempDir dir;
  check_pixel_type<std::int8_t>(dir.path(), H5T_STD_I8LE, H5T_NATIVE_INT8);
  check_pixel_type<std::uint8_t>(dir.path(), H5T_STD_U8LE, H5T_NATIVE_UINT8);
  check_pixel_type<std::int16_t>(dir.path(), H5T_STD_I16BE, H5T_NATIVE_INT16);
  check_pixel_type<std::uint16_t>(dir.path(), H5T_STD_U16LE, H5T_NATIVE_UINT16);
  check_pixel_type<std::int32_t>(dir.path(), H5T_STD_I32LE, H5T_NATIVE_INT32);
  check_pixel_type<std::uint32_t>(dir.path(), H5T_STD_U32BE, H5T_NATIVE_UINT32);
  check_pixel_type<float>(dir.path(), H5T_IEEE_F32BE, H5T_NATIVE_FLOAT);
  check_pixel_type<double>(dir.path(), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
  EXPECT_EQ(format_error(dir.path() / "int8.h5", "/nope"), (dir.path() / "int8.h5").string() + ": no dataset /nope");
}

TEST(Hdf5Reader, BitshuffleLz4ChunksThroughTheDebianPlugin) {
  constexpr H5Z_filter_t kBitshuffle = 32008;
  // Opening any file first lets the reader add Debian's plugin directory where libhdf5 lacks it.
  EXPECT_THROW(io::open_hdf5(fs::path(VULKANITE_SOURCE_DIR) / "tests/data/broken/hdf5/empty.h5"), io::FormatError);
  // Debian's hdf5-filter-plugin 0.0~git20221111 ships LZ4 and bzip2 only, despite its description;
  // libh5bshuf.so comes with Debian's `bitshuffle` package, into the same plugin directory.
  if (H5Zfilter_avail(kBitshuffle) <= 0)
    GTEST_SKIP() << "bitshuffle HDF5 filter 32008 is not loadable: no plugin for it in libhdf5's plugin path "
                    "(Debian: apt install bitshuffle, which puts libh5bshuf.so in hdf5/serial/plugins)";
  tests::TempDir dir;
  const auto path = dir.path() / "eiger_bslz4.h5";
  std::vector<std::uint32_t> values(4 * 32 * 40);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::uint32_t>((i * 2654435761u) % 5000u);
  {
    const Id file = create_file(path);
    const Id dcpl{H5Pcreate(H5P_DATASET_CREATE), H5Pclose};
    const std::array<hsize_t, 3> chunk = {1, 32, 40};
    H5Pset_chunk(dcpl, 3, chunk.data());
    // As Dectris and hdf5plugin ask for it: block size 0 (automatic), compression 2 = LZ4. The
    // filter's set_local puts its version and the element size in front (the file then says
    // 0, 3, 4, 0, 2 with bitshuffle 0.3.x), so a writer passes only these two.
    const std::array<unsigned, 2> options = {0, 2};
    ASSERT_GE(H5Pset_filter(dcpl, kBitshuffle, H5Z_FLAG_MANDATORY, options.size(), options.data()), 0);
    write_dataset(file, "/entry/data/data", H5T_STD_U32LE, H5T_NATIVE_UINT32, {4, 32, 40}, values, dcpl);
    const Id set{H5Dopen2(file, "/entry/data/data", H5P_DEFAULT), H5Dclose};
    EXPECT_LT(H5Dget_storage_size(set), values.size() * 4) << "the chunks were not compressed";
  }
  const auto source = io::open_hdf5(path);
  ASSERT_EQ(source->frame_count(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    const auto frame = source->read(i);
    const auto read = frame.values<std::uint32_t>();
    ASSERT_EQ(read.size(), 32u * 40u);
    std::size_t mismatches = 0;
    for (std::size_t p = 0; p < read.size(); ++p) mismatches += read[p] != values[i * 32 * 40 + p];
    EXPECT_EQ(mismatches, 0u) << frame.source << ": first " << read[0] << " vs " << values[i * 32 * 40];
  }
}

// The LZ4 filter of Debian's hdf5-filter-plugin (id 32004), loaded from its plugin directory as
// bitshuffle would be: proves the plugin path works where bitshuffle itself is missing.
TEST(Hdf5Reader, Lz4ChunksThroughTheDebianPlugin) {
  constexpr H5Z_filter_t kLz4 = 32004;
  EXPECT_THROW(io::open_hdf5(fs::path(VULKANITE_SOURCE_DIR) / "tests/data/broken/hdf5/empty.h5"), io::FormatError);
  if (H5Zfilter_avail(kLz4) <= 0)
    GTEST_SKIP() << "LZ4 HDF5 filter 32004 is not loadable (Debian: apt install hdf5-filter-plugin)";
  tests::TempDir dir;
  const auto path = dir.path() / "lz4.h5";
  const auto values = stack_values(0, 3, 64, 48);
  {
    const Id file = create_file(path);
    const Id dcpl{H5Pcreate(H5P_DATASET_CREATE), H5Pclose};
    const std::array<hsize_t, 3> chunk = {2, 64, 48};  // two frames a chunk: the cache keeps it
    H5Pset_chunk(dcpl, 3, chunk.data());
    ASSERT_GE(H5Pset_filter(dcpl, kLz4, H5Z_FLAG_MANDATORY, 0, nullptr), 0);
    write_dataset(file, "/entry/data/data", H5T_STD_U16LE, H5T_NATIVE_UINT16, {3, 64, 48}, values, dcpl);
  }
  const auto source = io::open_hdf5(path);
  ASSERT_EQ(source->frame_count(), 3u);
  for (std::size_t i = 0; i < 3; ++i) expect_frame(source->read(i), i, 64, 48);
}

TEST(Hdf5Reader, BrokenCorpusGivesFormatErrorsNamingFileAndProblem) {
  const fs::path dir = fs::path(VULKANITE_SOURCE_DIR) / "tests/data/broken/hdf5";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty.h5", "empty file (0 bytes), not HDF5"},
      {"garbage_after_signature.h5", "cannot open as HDF5, truncated or damaged ("},
      {"truncated.h5", "cannot open as HDF5, truncated or damaged (unable to open file: truncated file"},
      {"no_frames.h5", "no frame dataset (looked for NXmx /entry/data/data, /entry/data/data_000001 and CXI "
                       "/entry_1/data_1/data, /entry_1/instrument_1/detector_1/data)"},
      {"group_as_data.h5", "/entry/data/data is a group, not a frame dataset"},
      {"string_data.h5", "/entry/data/data holds strings, not pixels"},
      {"absurd_dims.h5", "/entry/data/data frames of 1000000 x 1000000 uint32 pixels exceed the 1 GiB frame limit"},
      {"wrong_rank.h5", "/entry/data/data has rank 1; frames need rank 2 (y, x) or 3 (n, y, x)"},
      {"int64_data.h5", "/entry/data/data holds 64-bit integers, not one of int8..uint32, float32, float64"},
      {"empty_stack.h5", "/entry/data/data is empty (a dimension is 0)"},
      {"unknown_filter.h5", "/entry/data/data is compressed with HDF5 filter 32999, which libhdf5 cannot load: "},
      {"dangling_link.h5", "cannot open /entry/data/data_000001 (external link to dangling_link_data_000001.h5:/entry/data/data)"},
  };
  for (const auto& [name, problem] : cases) {
    const std::string message = format_error(dir / name);
    EXPECT_EQ(message.rfind((dir / name).string() + ": " + problem, 0), 0u) << name << ": " << message;
  }
  EXPECT_EQ(format_error(dir / "missing.h5"), (dir / "missing.h5").string() + ": cannot open (no such file)");

  // Opens (the metadata is sound) but the first chunk does not inflate.
  const auto corrupt = io::open_hdf5(dir / "corrupt_chunk.h5");
  ASSERT_EQ(corrupt->frame_count(), 2u);
  try {
    corrupt->read(0);
    ADD_FAILURE() << "corrupt chunk read without error";
  } catch (const io::FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind((dir / "corrupt_chunk.h5").string() + ": cannot read frame 0 (/entry/data/data frame 0): ", 0), 0u)
        << e.what();
  }
}

// libhdf5 1.10.8 segfaults on this file (H5Lexists -> H5B2_open -> memcpy from NULL); the forked
// probe in open_hdf5 turns that into a FormatError and this process goes on reading other files.
TEST(Hdf5Reader, LibraryCrashBecomesAFormatErrorNamingTheFile) {
  const fs::path dir = fs::path(VULKANITE_SOURCE_DIR) / "tests/data/broken/hdf5";
  const fs::path crashing = dir / "corrupt_link_info.h5";
  EXPECT_EQ(format_error(crashing), crashing.string() +
                                        ": libhdf5 crashed while reading this file (signal 11, SIGSEGV): the file is "
                                        "corrupt or not supported");
  EXPECT_THROW(io::open_frames(crashing), io::FormatError);  // the path `vulkanite info` takes
}

TEST(Hdf5Writers, CxiPeakTablesReadBackAsCrystfelReadsThem) {
  tests::TempDir dir;
  const auto path = dir.path() / "peaks.cxi";
  {
    io::CxiPeakWriter writer(path, 4);
    const std::vector<io::CxiPeak> first = {{10.5f, 20.25f, 300, 50, 7, 12.5f}, {1, 2, 3, 4, 5, 6}};
    EXPECT_TRUE(writer.add_frame(first));
    EXPECT_TRUE(writer.add_frame({}));
    std::vector<io::CxiPeak> many(6);
    for (std::size_t i = 0; i < many.size(); ++i) many[i].fs = static_cast<float>(i + 1);
    EXPECT_FALSE(writer.add_frame(many));  // two past max_peaks dropped
    EXPECT_EQ(writer.frame_count(), 3u);
    writer.close();
  }
  const Id file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  ASSERT_GE(file.id, 0);
  const Id n_peaks{H5Dopen2(file, "/entry_1/result_1/nPeaks", H5P_DEFAULT), H5Dclose};
  const Id n_type{H5Dget_type(n_peaks), H5Tclose};
  EXPECT_EQ(H5Tget_class(n_type), H5T_INTEGER);
  EXPECT_EQ(H5Tget_size(n_type), 4u);
  std::array<std::int32_t, 3> counts{};
  H5Dread(n_peaks, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, counts.data());
  EXPECT_EQ(counts, (std::array<std::int32_t, 3>{2, 0, 4}));

  auto table = [&](const char* name) {
    const Id set{H5Dopen2(file, (std::string("/entry_1/result_1/") + name).c_str(), H5P_DEFAULT), H5Dclose};
    const Id space{H5Dget_space(set), H5Sclose};
    std::array<hsize_t, 2> dims{};
    EXPECT_EQ(H5Sget_simple_extent_ndims(space), 2) << name;
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    EXPECT_EQ(dims, (std::array<hsize_t, 2>{3, 4})) << name;
    std::vector<float> values(12);
    H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    return values;
  };
  EXPECT_EQ(table("peakXPosRaw"), (std::vector<float>{10.5f, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}));
  EXPECT_EQ(table("peakYPosRaw"), (std::vector<float>{20.25f, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(table("peakTotalIntensity"), (std::vector<float>{300, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(table("peakMaximumValue"), (std::vector<float>{50, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(table("peakNPixels"), (std::vector<float>{7, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(table("peakSNR"), (std::vector<float>{12.5f, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));

  EXPECT_THROW(io::CxiPeakWriter(dir.path() / "zero.cxi", 0), io::FormatError);
  EXPECT_THROW(io::CxiPeakWriter(dir.path() / "no/such/dir/peaks.cxi", 4), io::FormatError);
}

// indexamajig --peaks=cxi reads the tables from the file of the frames: add them to it.
TEST(Hdf5Writers, CxiPeakTablesAddedToTheFramesFile) {
  tests::TempDir dir;
  const auto path = dir.path() / "run.cxi";
  {
    const Id file = create_file(path);
    write_dataset(file, "/entry_1/data_1/data", H5T_STD_U16LE, H5T_NATIVE_UINT16, {2, 64, 48}, stack_values(0, 2, 64, 48));
  }
  {
    io::CxiPeakWriter writer(path, 8, io::CxiPeakWriter::Mode::add_to_existing);
    const std::vector<io::CxiPeak> peaks = {{3, 4, 5, 6, 7, 8}};
    writer.add_frame(peaks);
    writer.add_frame({});
    writer.close();
  }
  {  // the sources hold the file open read-only until they go
    const auto source = io::open_hdf5(path);
    ASSERT_EQ(source->frame_count(), 2u);
    expect_frame(source->read(1), 1, 64, 48);
    const auto table = io::open_hdf5(path, "/entry_1/result_1/peakXPosRaw")->read(0);  // [2, 8]: one 2D frame
    EXPECT_EQ(table.shape, (std::vector<std::size_t>{2, 8}));
    EXPECT_EQ(table.values<float>()[0], 3.0f);
  }
  EXPECT_THROW(io::CxiPeakWriter(dir.path() / "absent.cxi", 8, io::CxiPeakWriter::Mode::add_to_existing), io::FormatError);
  try {
    io::CxiPeakWriter again(path, 4, io::CxiPeakWriter::Mode::add_to_existing);
    ADD_FAILURE() << "peak tables written twice";
  } catch (const io::FormatError& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ": /entry_1/result_1/nPeaks exists already");
  }
}

TEST(Hdf5Writers, ResultsArraysAndAttributesReadBack) {
  tests::TempDir dir;
  const auto path = dir.path() / "integrated.h5";
  io::H5Results results;
  results.attributes["program"] = std::string("vulkanite integrate");
  results.attributes["frames"] = 5.0;
  results.arrays.push_back({"/entry/result/q", {3}, {1.0f, 2.0f, 3.0f}, {{"units", std::string("nm^-1")}}});
  results.arrays.push_back({"/entry/result/I", {2, 3}, {1, 2, 3, 4, 5, 6}, {{"error_model", std::string("poisson")}}});
  io::write_h5_results(path, results);

  const Id file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  ASSERT_GE(file.id, 0);
  std::vector<float> values(6);
  const Id intensity{H5Dopen2(file, "/entry/result/I", H5P_DEFAULT), H5Dclose};
  H5Dread(intensity, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  EXPECT_EQ(values, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  double frames = 0;
  const Id frames_attribute{H5Aopen(file, "frames", H5P_DEFAULT), H5Aclose};
  H5Aread(frames_attribute, H5T_NATIVE_DOUBLE, &frames);
  EXPECT_EQ(frames, 5.0);
  const Id units{H5Aopen_by_name(file, "/entry/result/q", "units", H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  const Id units_type{H5Aget_type(units), H5Tclose};
  std::string text(H5Tget_size(units_type), '\0');
  H5Aread(units, units_type, text.data());
  EXPECT_EQ(text, "nm^-1");

  // A 2D results array opens as a frame too.
  const auto frame = io::open_hdf5(path, "/entry/result/I")->read(0);
  EXPECT_EQ(frame.shape, (std::vector<std::size_t>{2, 3}));

  results.arrays.push_back({"/bad", {2, 2}, {1, 2, 3}, {}});
  EXPECT_THROW(io::write_h5_results(dir.path() / "bad.h5", results), std::invalid_argument);
}

}  // namespace
}  // namespace vulkanite

// NumPy .npy reader and writer: round trips of every pixel type through the writer and the
// reader (and through python's numpy when it is installed), big-endian and version 2.0/3.0
// files, the broken-file corpus (tests/data/broken/npy/make_corpus.py) and the real ODMR cube.
// The .xy writer's test is here too: both are the writers of results.
#include "io/frame_source.hpp"
#include "io/npy.hpp"
#include "io/xy.hpp"
#include "support/data.hpp"
#include "support/format_error.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace vulkanite {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

fs::path corpus(const std::string& name) { return fs::path(VULKANITE_SOURCE_DIR) / "tests/data/broken/npy" / name; }

template <class T>
std::vector<T> ramp(std::size_t n) {
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = static_cast<double>(i % 200) - (std::is_signed_v<T> ? 100.0 : 0.0);
    v[i] = static_cast<T>(std::is_floating_point_v<T> ? x * 0.125 : x);
  }
  return v;
}

template <class T>
void check_round_trip() {
  SCOPED_TRACE(io::pixel_type_name(io::pixel_type_of<T>()));
  tests::TempDir dir;
  const std::vector<std::size_t> shape{4, 5, 7};
  const auto values = ramp<T>(4 * 5 * 7);
  io::write_npy<T>(dir.path() / "stack.npy", shape, values);
  io::write_npy<T>(dir.path() / "image.npy", std::vector<std::size_t>{5, 7}, std::span(values).first(35));

  // The header ends on a 64-byte boundary, as numpy writes it.
  std::ifstream in(dir.path() / "stack.npy", std::ios::binary);
  char preamble[10];
  in.read(preamble, 10);
  EXPECT_EQ((10 + static_cast<unsigned char>(preamble[8]) + 256 * static_cast<unsigned char>(preamble[9])) % 64, 0);

  auto stack = io::open_frames(dir.path() / "stack.npy");
  ASSERT_EQ(stack->frame_count(), 4u);
  for (std::size_t f : {3, 1, 0, 2}) {
    const auto frame = stack->read(f);
    ASSERT_EQ(frame.shape, (std::vector<std::size_t>{5, 7}));
    const auto v = frame.values<T>();
    EXPECT_TRUE(std::equal(v.begin(), v.end(), values.begin() + f * 35)) << "frame " << f;
  }
  EXPECT_THROW(stack->read(4), io::FormatError);
  auto image = io::open_frames(dir.path() / "image.npy");
  ASSERT_EQ(image->frame_count(), 1u);
  const auto image_frame = image->read(0);
  const auto v = image_frame.values<T>();
  EXPECT_TRUE(std::equal(v.begin(), v.end(), values.begin()));
}

TEST(NpyTest, RoundTripsInt8) { check_round_trip<std::int8_t>(); }
TEST(NpyTest, RoundTripsUint8) { check_round_trip<std::uint8_t>(); }
TEST(NpyTest, RoundTripsInt16) { check_round_trip<std::int16_t>(); }
TEST(NpyTest, RoundTripsUint16) { check_round_trip<std::uint16_t>(); }
TEST(NpyTest, RoundTripsInt32) { check_round_trip<std::int32_t>(); }
TEST(NpyTest, RoundTripsUint32) { check_round_trip<std::uint32_t>(); }
TEST(NpyTest, RoundTripsFloat32) { check_round_trip<float>(); }
TEST(NpyTest, RoundTripsFloat64) { check_round_trip<double>(); }

TEST(NpyTest, WritesTheHeaderNumpyWrites) {
  tests::TempDir dir;
  const std::vector<float> values(6, 1.0f);
  io::write_npy<float>(dir.path() / "a.npy", std::vector<std::size_t>{2, 3}, values);
  std::ifstream in(dir.path() / "a.npy", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(bytes.substr(0, 10), std::string("\x93NUMPY\x01\x00\x76\x00", 10));
  EXPECT_THAT(bytes.substr(10, 118), StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   "));
  EXPECT_EQ(bytes[127], '\n');
}

TEST(NpyTest, ReadsBigEndianAndVersion2And3) {
  {
    auto source = io::open_frames(corpus("valid_v2_be_u4.npy"));
    EXPECT_EQ(source->format(), "NumPy 2.0 >u4");
    const auto frame = source->read(0);
    const auto v = frame.values<std::uint32_t>();
    EXPECT_EQ(std::vector<std::uint32_t>(v.begin(), v.end()),
              (std::vector<std::uint32_t>{1, 2, 3, 4, 5, 0xFFFFFFFF}));
  }
  {
    auto source = io::open_frames(corpus("valid_v3_be_f4_stack.npy"));
    EXPECT_EQ(source->format(), "NumPy 3.0 >f4");
    ASSERT_EQ(source->frame_count(), 2u);
    const auto first = source->read(0), second = source->read(1);
    const auto a = first.values<float>();
    EXPECT_EQ(std::vector<float>(a.begin(), a.end()), (std::vector<float>{0.5f, -1.0f, 2.0f, 3.0f}));
    const auto b = second.values<float>();
    EXPECT_EQ(b[2], 6.0f);
    EXPECT_TRUE(std::isnan(b[3]));
  }
  {
    const auto frame = io::open_npy(corpus("valid.npy"))->read(0);
    const auto v = frame.values<std::int16_t>();
    EXPECT_EQ(v.size(), 12u);
    EXPECT_EQ(v[0], -3);
    EXPECT_EQ(v[11], 8);
  }
}

std::string error_of(const std::string& name) {
  return tests::format_error_of([&] { return io::open_npy(corpus(name)); });
}

TEST(NpyTest, BrokenFilesNameTheFileAndTheProblem) {
  const std::vector<std::pair<std::string, std::string>> expected{
      {"empty.npy", "empty file"},
      {"magic_only.npy", "truncated .npy preamble (6 of 10 bytes)"},
      {"truncated_header.npy", "truncated .npy header (118 bytes declared, 30 in the file)"},
      {"truncated_data.npy", "truncated: 1 frames of 24 bytes declared, 19 bytes of data in the file"},
      {"bad_version.npy", "unsupported .npy version 7.0"},
      {"header_length_beyond_file.npy", ".npy header of 2147483632 bytes, more than the 65536 accepted"},
      {"garbage_header.npy", "bad .npy header: expected True or False at character 34"},
      {"missing_shape.npy", "bad .npy header: needs 'descr', 'fortran_order' and 'shape'"},
      {"object_dtype.npy", "unsupported dtype '|O'"},
      {"complex_dtype.npy", "unsupported dtype '<c8' (i1 u1 i2 u2 i4 u4 f4 f8 are supported)"},
      {"int64_dtype.npy", "unsupported dtype '<i8'"},
      {"fortran_order.npy", "fortran_order is True; only C-order arrays are supported"},
      {"one_dimensional.npy", "1-D array; 2-D [y, x] or 3-D [n, y, x] needed"},
      {"four_dimensional.npy", "4-D array; 2-D [y, x] or 3-D [n, y, x] needed"},
      {"zero_dimension.npy", "empty array (a zero dimension)"},
      {"absurd_dimensions.npy", "frames of 100000 x 100000 pixels, more than the 2^28 accepted"},
      {"absurd_stack.npy", "truncated: 1000000000 frames of 80000 bytes declared, 64 bytes of data in the file"},
      {"overflowing_dimension.npy", "bad .npy header: absurd dimension"},
  };
  for (const auto& [name, problem] : expected)
    EXPECT_THAT(error_of(name), StartsWith(corpus(name).string() + ": " + problem)) << name;
}

// Whole arrays of any dimension (read_npy_array): the corpus files frames refuse, and the same
// broken files with the same messages.
TEST(NpyTest, WholeArraysOfAnyDimensionAndWiderTypes) {
  const auto one = io::read_npy_array(corpus("one_dimensional.npy"));
  EXPECT_EQ(one.shape.size(), 1u);
  EXPECT_EQ(one.values.size(), one.shape[0]);
  const auto wide = io::read_npy_array(corpus("int64_dtype.npy"));
  EXPECT_EQ(wide.values.size(), wide.shape.empty() ? 1u : wide.shape[0] * (wide.shape.size() > 1 ? wide.shape[1] : 1));
  const auto be = io::read_npy_array(corpus("valid_v2_be_u4.npy"));
  EXPECT_EQ(be.values, (std::vector<double>{1, 2, 3, 4, 5, 4294967295.0}));
  EXPECT_EQ(be.shape, (std::vector<std::size_t>{2, 3}));
  const auto error = [](const std::string& name) -> std::string {
    try {
      io::read_npy_array(corpus(name));
    } catch (const io::FormatError& e) {
      return e.what();
    }
    return "(no FormatError)";
  };
  EXPECT_THAT(error("truncated_header.npy"), HasSubstr("truncated .npy header (118 bytes declared, 30 in the file)"));
  EXPECT_THAT(error("truncated_data.npy"), HasSubstr("truncated: 12 values of 2 bytes declared, 19 bytes of data in the file"));
  EXPECT_THAT(error("complex_dtype.npy"), HasSubstr("unsupported dtype '<c8' (integers, bool, f4 or f8)"));
  EXPECT_THAT(error("fortran_order.npy"), HasSubstr("fortran_order is True"));
}

// The ODMR cube from the shared data; checksums from numpy 2.4 on np.load: shape, min, max, two
// pixels (exact), the sum of frame 3 and of everything (numpy sums pairwise, we in order: 1e-9).
TEST(NpyTest, ReadsTheWidefieldOdmrCube) {
  const std::string name = "odmr/widefield_21x25x200_counts.npy";
  const auto file = tests::shared_data(name);
  if (!file) GTEST_SKIP() << tests::missing_data_message(name);
  auto source = io::open_frames(*file);
  EXPECT_EQ(source->format(), "NumPy 1.0 <f8");
  ASSERT_EQ(source->frame_count(), 21u);
  double total = 0, low = INFINITY, high = -INFINITY;
  for (std::size_t f = 0; f < 21; ++f) {
    const auto frame = source->read(f);
    ASSERT_EQ(frame.shape, (std::vector<std::size_t>{25, 200}));
    const auto v = frame.values<double>();
    double sum = 0;
    for (const double x : v) sum += x, low = std::min(low, x), high = std::max(high, x);
    total += sum;
    if (f == 0) {
      EXPECT_EQ(v[0], 5047.666666666666);
    } else if (f == 3) {
      EXPECT_NEAR(sum, 75620197.8, 75620197.8 * 1e-12);
    } else if (f == 20) {
      EXPECT_EQ(v[24 * 200 + 199], 3547.6);
    }
  }
  EXPECT_NEAR(total, 1687744412.1333332, 1687744412.1333332 * 1e-12);
  EXPECT_EQ(low, 3155.133333333333);
  EXPECT_EQ(high, 59281.36666666667);
}

bool python_numpy_available() {
  static const bool available = tests::run_process({"/usr/bin/env", "python3", "-c", "import numpy"}).exit_code == 0;
  return available;
}

TEST(NpyTest, RoundTripsThroughNumpy) {
  if (!python_numpy_available()) GTEST_SKIP() << "python3 with numpy not found";
  tests::TempDir dir;
  const auto ours = dir.path() / "ours.npy", theirs = dir.path() / "theirs.npy";
  const std::vector<std::int32_t> values{-7, 0, 5, 2147483647, -2147483647 - 1, 42};
  io::write_npy<std::int32_t>(ours, std::vector<std::size_t>{1, 2, 3}, values);
  // numpy reads ours and writes a big-endian float64 version 2.0 file of it plus one.
  const auto result = tests::run_process(
      {"/usr/bin/env", "python3", "-c",
       "import sys, numpy as np\n"
       "a = np.load(sys.argv[1])\n"
       "print(a.dtype.str, a.shape, a.tolist())\n"
       "np.lib.format.write_array(open(sys.argv[2], 'wb'), (a.astype('f8') + 1).astype('>f8'), version=(2, 0))\n",
       ours.string(), theirs.string()});
  ASSERT_EQ(result.exit_code, 0) << tests::describe(result);
  EXPECT_EQ(result.out, "<i4 (1, 2, 3) [[[-7, 0, 5], [2147483647, -2147483648, 42]]]\n");
  auto source = io::open_frames(theirs);
  EXPECT_EQ(source->format(), "NumPy 2.0 >f8");
  const auto frame = source->read(0);
  const auto v = frame.values<double>();
  EXPECT_EQ(std::vector<double>(v.begin(), v.end()),
            (std::vector<double>{-6, 1, 6, 2147483648.0, -2147483647.0, 43}));
}

TEST(XyWriterTest, WritesAPyfaiStyleHeaderAndColumns) {
  tests::TempDir dir;
  const std::vector<double> radial{1.0, 1.5, 2.0}, intensity{10.0, 20.25, -1.0}, sigma{3.0, 4.5, 0.0};
  io::XyColumns columns;
  columns.radial = radial, columns.intensity = intensity, columns.sigma = sigma;
  io::write_xy(dir.path() / "a.xy", columns,
               {{"Distance Sample to Detector", "0.21143 m"}, {"Wavelength", "7.293e-11 m"}});
  std::ifstream in(dir.path() / "a.xy");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(),
            "# == vulkanite 1D integration (pyFAI-style) ==\n"
            "# Unit: 2th_deg\n"
            "# npt: 3\n"
            "# Distance Sample to Detector: 0.21143 m\n"
            "# Wavelength: 7.293e-11 m\n"
            "#        2th_deg              I          sigma\n"
            "  1.000000e+00   1.000000e+01   3.000000e+00\n"
            "  1.500000e+00   2.025000e+01   4.500000e+00\n"
            "  2.000000e+00  -1.000000e+00   0.000000e+00\n");
  columns.sigma = {};
  columns.radial_unit = "q_nm^-1";
  io::write_xy(dir.path() / "b.xy", columns);
  if (python_numpy_available()) {
    const auto result = tests::run_process(
        {"/usr/bin/env", "python3", "-c", "import sys, numpy as np; print(np.loadtxt(sys.argv[1]).tolist())",
         (dir.path() / "b.xy").string()});
    EXPECT_EQ(result.out, "[[1.0, 10.0], [1.5, 20.25], [2.0, -1.0]]\n") << tests::describe(result);
  }
  columns.intensity = std::span(intensity).first(2);
  EXPECT_THROW(io::write_xy(dir.path() / "c.xy", columns), std::invalid_argument);
}

}  // namespace
}  // namespace vulkanite

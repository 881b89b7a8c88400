// HDF5 frame stacks through libhdf5: NeXus/NXmx (Dectris Eiger master and data files) and CXI.
// A stack [n, y, x] is read one frame at a time with a hyperslab, never whole; an Eiger master
// file's /entry/data/data_000001.. external links are one stack, in link order.
#include "io/child_probe.hpp"
#include "io/frame_source.hpp"
#include "io/hdf5_handle.hpp"
#include "io/hdf5_metadata.hpp"

#include <H5PLpublic.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace vulkanite::io {
namespace {

// A frame is held in memory whole; a dataset claiming more per frame is broken or not a detector
// (the largest detectors, Jungfrau 16M and Eiger2 16M, are ~70 MB a frame in 32 bits).
constexpr std::size_t kMaxFrameBytes = std::size_t{256} << 20;
// The chunk cache holds the chunks of one frame so a chunk spanning several frames ([10, y, x])
// is decompressed once, not once per frame; bounded so a strange layout cannot take the host.
constexpr std::size_t kMaxChunkCacheBytes = std::size_t{256} << 20;

// Debian's HDF5 filter plugins live here: LZ4 and bzip2 from hdf5-filter-plugin, and the
// bitshuffle filter (32008) of Eiger files from the `bitshuffle` package (hdf5-filter-plugin's
// description names bitshuffle, but its 2022 snapshot ships no libh5bshuf.so). Debian's own
// libhdf5 searches there already, but a libhdf5 built elsewhere (from source, conda) defaults to
// /usr/local/hdf5/lib/plugin and would fail on every Eiger frame with "can't open directory" or
// "required filter is not registered". So when the user has not chosen (HDF5_PLUGIN_PATH unset,
// which libhdf5 honours on its own), the directory is appended once per process.
constexpr std::array kDebianPluginDirs = {"/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins",
                                          "/usr/lib/aarch64-linux-gnu/hdf5/serial/plugins"};

void add_debian_plugin_dirs() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (const char* user = std::getenv("HDF5_PLUGIN_PATH"); user && *user) return;
    const h5::Quiet quiet;
    std::vector<std::string> known;
    unsigned count = 0;
    if (H5PLsize(&count) >= 0) {
      for (unsigned i = 0; i < count; ++i) {
        std::array<char, 4096> dir{};
        if (H5PLget(i, dir.data(), dir.size()) > 0) known.emplace_back(dir.data());
      }
    }
    std::error_code error;
    for (const char* dir : kDebianPluginDirs)
      if (std::filesystem::is_directory(dir, error) && std::find(known.begin(), known.end(), dir) == known.end())
        H5PLappend(dir);
  });
}

std::string describe_class(H5T_class_t type_class) {
  switch (type_class) {
    case H5T_STRING: return "strings";
    case H5T_COMPOUND: return "compound records";
    case H5T_ENUM: return "enum values";
    case H5T_VLEN: return "variable-length sequences";
    case H5T_ARRAY: return "array values";
    case H5T_REFERENCE: return "references";
    case H5T_OPAQUE: return "opaque values";
    case H5T_BITFIELD: return "bitfields";
    default: return "non-numeric values";
  }
}

struct PixelMapping {
  PixelType type;
  hid_t memory_type;  // native type libhdf5 converts the file's byte order to
};

// nullopt for numeric types io::PixelType has no name for (int64, float16).
std::optional<PixelMapping> map_pixel_type(hid_t type) {
  const std::size_t size = H5Tget_size(type);
  if (H5Tget_class(type) == H5T_FLOAT) {
    if (size == 4) return PixelMapping{PixelType::float32, H5T_NATIVE_FLOAT};
    if (size == 8) return PixelMapping{PixelType::float64, H5T_NATIVE_DOUBLE};
    return std::nullopt;
  }
  const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
  switch (size) {
    case 1: return is_signed ? PixelMapping{PixelType::int8, H5T_NATIVE_INT8} : PixelMapping{PixelType::uint8, H5T_NATIVE_UINT8};
    case 2: return is_signed ? PixelMapping{PixelType::int16, H5T_NATIVE_INT16} : PixelMapping{PixelType::uint16, H5T_NATIVE_UINT16};
    case 4: return is_signed ? PixelMapping{PixelType::int32, H5T_NATIVE_INT32} : PixelMapping{PixelType::uint32, H5T_NATIVE_UINT32};
    default: return std::nullopt;
  }
}

// One dataset of the stack: all of a plain file's frames, or one Eiger data file's.
struct Segment {
  std::string path;
  h5::Handle dataset;
  std::size_t frames = 0;
  bool stacked = false;  // rank 3: frames are hyperslabs; rank 2: the dataset is the one frame
  std::array<hsize_t, 3> chunk{};  // {n, y, x} chunk shape (n = 1 for rank 2); all 0 when not chunked
  std::size_t chunk_bytes = 0;      // uncompressed
  hsize_t file_size = 0;            // of the file holding the chunks (an Eiger data file for a link)
};

class Hdf5Source final : public FrameSource {
 public:
  Hdf5Source(std::filesystem::path path, const std::string& dataset);

  std::size_t frame_count() const override { return frame_count_; }
  Frame read(std::size_t index) override;
  std::string format() const override { return format_; }

 private:
  [[noreturn]] void fail(const std::string& problem) const { throw FormatError(path_.string() + ": " + problem); }
  std::vector<std::string> find_frame_datasets(const std::string& dataset);
  std::string link_target(const std::string& link) const;
  void add_segment(const std::string& dataset_path);
  void check_filters(hid_t create, const std::string& dataset_path) const;
  void check_chunks(const Segment& segment, std::size_t local, std::size_t index) const;

  std::filesystem::path path_;
  h5::Handle file_;
  std::vector<Segment> segments_;
  std::size_t frame_count_ = 0;
  std::vector<std::size_t> frame_shape_;
  PixelMapping pixels_{PixelType::float32, H5T_NATIVE_FLOAT};
  Metadata metadata_;
  std::string format_;
};

Hdf5Source::Hdf5Source(std::filesystem::path path, const std::string& dataset) : path_(std::move(path)) {
  add_debian_plugin_dirs();
  const h5::Quiet quiet;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path_, error)) fail("cannot open (no such file)");
  if (std::filesystem::file_size(path_, error) == 0) fail("empty file (0 bytes), not HDF5");
  if (H5Fis_hdf5(path_.c_str()) <= 0) fail("not an HDF5 file (" + h5::last_error() + ")");
  file_ = h5::Handle(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file_) fail("cannot open as HDF5, truncated or damaged (" + h5::last_error() + ")");

  const auto paths = find_frame_datasets(dataset);
  for (const auto& dataset_path : paths) add_segment(dataset_path);
  try {
    metadata_ = read_hdf5_metadata(file_.get());
  } catch (const std::exception& e) {
    fail(std::string("reading metadata: ") + e.what());
  }
  if (paths.size() > 1)
    format_ += " (" + std::to_string(paths.size()) + " linked datasets, " + std::to_string(frame_count_) + " frames)";
}

std::vector<std::string> Hdf5Source::find_frame_datasets(const std::string& dataset) {
  if (!dataset.empty()) {
    const std::string absolute = dataset.starts_with('/') ? dataset : "/" + dataset;
    if (!h5::link_exists(file_.get(), absolute)) fail("no dataset " + absolute);
    format_ = "HDF5 " + absolute;
    return {absolute};
  }
  const hid_t file = file_.get();
  if (h5::link_exists(file, "/entry/data/data")) {
    format_ = "HDF5 NXmx /entry/data/data";
    return {"/entry/data/data"};
  }
  // Dectris numbers the links of a master file data_000001, data_000002, ... with no gaps.
  std::vector<std::string> linked;
  for (int number = 1; number < 1000000; ++number) {
    std::array<char, 32> name{};
    std::snprintf(name.data(), name.size(), "/entry/data/data_%06d", number);
    if (!h5::link_exists(file, name.data())) break;
    linked.emplace_back(name.data());
  }
  if (!linked.empty()) {
    format_ = "HDF5 NXmx " + linked.front() + (linked.size() > 1 ? ".." + linked.back().substr(12) : "");
    return linked;
  }
  for (const char* cxi : {"/entry_1/data_1/data", "/entry_1/instrument_1/detector_1/data"}) {
    if (h5::link_exists(file, cxi)) {
      format_ = std::string("HDF5 CXI ") + cxi;
      return {cxi};
    }
  }
  fail("no frame dataset (looked for NXmx /entry/data/data, /entry/data/data_000001 and CXI "
       "/entry_1/data_1/data, /entry_1/instrument_1/detector_1/data)");
}

// " (external link to data_000001.h5:/entry/data/data)" for an external link, else "".
std::string Hdf5Source::link_target(const std::string& link) const {
  H5L_info_t info{};
  if (H5Lget_info(file_.get(), link.c_str(), &info, H5P_DEFAULT) < 0 || info.type != H5L_TYPE_EXTERNAL) return "";
  if (info.u.val_size > 65536) return " (external link)";  // a damaged size must not size our buffer
  std::vector<char> value(info.u.val_size + 1);
  const char* target_file = nullptr;
  const char* target_path = nullptr;
  unsigned flags = 0;
  if (H5Lget_val(file_.get(), link.c_str(), value.data(), value.size(), H5P_DEFAULT) < 0 ||
      H5Lunpack_elink_val(value.data(), info.u.val_size, &flags, &target_file, &target_path) < 0)
    return " (external link)";
  return std::string(" (external link to ") + target_file + ":" + target_path + ")";
}

void Hdf5Source::add_segment(const std::string& dataset_path) {
  const hid_t file = file_.get();
  H5O_info_t object{};
  if (H5Oget_info_by_name2(file, dataset_path.c_str(), &object, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
    fail("cannot open " + dataset_path + link_target(dataset_path) + ": " + h5::last_error());
  if (object.type == H5O_TYPE_GROUP) fail(dataset_path + " is a group, not a frame dataset");
  if (object.type != H5O_TYPE_DATASET) fail(dataset_path + " is not a dataset");

  Segment segment{dataset_path, h5::Handle(H5Dopen2(file, dataset_path.c_str(), H5P_DEFAULT), H5Dclose)};
  if (!segment.dataset) fail("cannot open dataset " + dataset_path + ": " + h5::last_error());
  const h5::Handle type(H5Dget_type(segment.dataset.get()), H5Tclose);
  const H5T_class_t type_class = H5Tget_class(type.get());
  if (type_class != H5T_INTEGER && type_class != H5T_FLOAT)
    fail(dataset_path + " holds " + describe_class(type_class) + ", not pixels");
  const auto pixels = map_pixel_type(type.get());
  if (!pixels)
    fail(dataset_path + " holds " + std::to_string(8 * H5Tget_size(type.get())) + "-bit " +
         (type_class == H5T_FLOAT ? "floats" : "integers") + ", not one of int8..uint32, float32, float64");

  const h5::Handle space(H5Dget_space(segment.dataset.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank != 2 && rank != 3)
    fail(dataset_path + " has rank " + std::to_string(rank) + "; frames need rank 2 (y, x) or 3 (n, y, x)");
  std::array<hsize_t, 3> dims{};
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  const std::vector<std::size_t> shape = {static_cast<std::size_t>(dims[rank - 2]), static_cast<std::size_t>(dims[rank - 1])};
  segment.stacked = rank == 3;
  segment.frames = rank == 3 ? static_cast<std::size_t>(dims[0]) : 1;
  if (shape[0] == 0 || shape[1] == 0 || segment.frames == 0) fail(dataset_path + " is empty (a dimension is 0)");
  if (shape[0] > kMaxFrameBytes / shape[1] / pixel_bytes(pixels->type))
    fail(dataset_path + " frames of " + std::to_string(shape[0]) + " x " + std::to_string(shape[1]) + " " +
         pixel_type_name(pixels->type) + " pixels exceed the 1 GiB frame limit");

  if (segments_.empty()) {
    frame_shape_ = shape;
    pixels_ = *pixels;
  } else if (shape != frame_shape_ || pixels->type != pixels_.type) {
    fail(dataset_path + " frames are " + std::to_string(shape[0]) + " x " + std::to_string(shape[1]) + " " +
         pixel_type_name(pixels->type) + ", unlike " + segments_.front().path + "'s " + std::to_string(frame_shape_[0]) +
         " x " + std::to_string(frame_shape_[1]) + " " + pixel_type_name(pixels_.type));
  }

  const h5::Handle create(H5Dget_create_plist(segment.dataset.get()), H5Pclose);
  if (create) check_filters(create.get(), dataset_path);

  // Reopen with a chunk cache that holds one frame's chunks (see kMaxChunkCacheBytes).
  if (create && H5Pget_layout(create.get()) == H5D_CHUNKED) {
    std::array<hsize_t, 3> chunk{};
    if (H5Pget_chunk(create.get(), rank, chunk.data()) == rank) {
      const std::size_t chunk_y = chunk[rank - 2], chunk_x = chunk[rank - 1];
      const std::size_t chunk_bytes = (rank == 3 ? chunk[0] : 1) * chunk_y * chunk_x * pixel_bytes(pixels->type);
      segment.chunk = {rank == 3 ? chunk[0] : 1, chunk_y, chunk_x};
      segment.chunk_bytes = chunk_bytes;
      const h5::Handle holder(H5Iget_file_id(segment.dataset.get()), H5Fclose);
      if (!holder || H5Fget_filesize(holder.get(), &segment.file_size) < 0)
        fail("cannot get the size of the file holding " + dataset_path + ": " + h5::last_error());
      const std::size_t per_frame = ((shape[0] + chunk_y - 1) / chunk_y) * ((shape[1] + chunk_x - 1) / chunk_x);
      const std::size_t wanted =
          per_frame > kMaxChunkCacheBytes / std::max<std::size_t>(chunk_bytes, 1) ? kMaxChunkCacheBytes : chunk_bytes * per_frame;
      if (wanted > (std::size_t{1} << 20)) {
        const h5::Handle access(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
        H5Pset_chunk_cache(access.get(), 12421, wanted, 1.0);
        h5::Handle reopened(H5Dopen2(file, dataset_path.c_str(), access.get()), H5Dclose);
        if (reopened) segment.dataset = std::move(reopened);
      }
    }
  }
  if (segment.frames > std::numeric_limits<std::size_t>::max() - frame_count_) fail(dataset_path + " has too many frames");
  frame_count_ += segment.frames;
  segments_.push_back(std::move(segment));
}

// A filter libhdf5 cannot load fails every frame with "filter not registered": say it once, at
// open, with what to install, rather than per frame.
void Hdf5Source::check_filters(hid_t create, const std::string& dataset_path) const {
  const int filters = H5Pget_nfilters(create);
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0;
    std::size_t count = 0;
    // The name stored with the filter is the writer's free text; only ids we know are named.
    const H5Z_filter_t id = H5Pget_filter2(create, static_cast<unsigned>(i), &flags, &count, nullptr, 0, nullptr, nullptr);
    if (id < 0 || H5Zfilter_avail(id) > 0) continue;
    const std::string known = id == 32008 ? "bitshuffle" : id == 32004 ? "LZ4" : id == 307 ? "bzip2" : "";
    fail(dataset_path + " is compressed with HDF5 filter " + std::to_string(id) + (known.empty() ? "" : " (" + known + ")") +
         ", which libhdf5 cannot load: install its plugin (Debian: hdf5-filter-plugin for LZ4 and bzip2, "
         "bitshuffle for bitshuffle) or point HDF5_PLUGIN_PATH at a directory holding it");
  }
}

// libhdf5 allocates a chunk's stored size, as its index says, before it checks that the chunk
// lies inside the file: a damaged index made it take 3 GB for a 512-byte chunk in fuzzing. So the
// frame's chunks are checked first: inside the file, and no larger than a compressor could make
// them (incompressible input grows by well under 1/8 plus a header with deflate, LZ4, bitshuffle).
void Hdf5Source::check_chunks(const Segment& segment, std::size_t local, std::size_t index) const {
  if (segment.chunk_bytes == 0) return;
  const std::size_t largest = segment.chunk_bytes + segment.chunk_bytes / 8 + 4096;
  const hsize_t first = segment.stacked ? local / segment.chunk[0] * segment.chunk[0] : 0;
  for (hsize_t y = 0; y < frame_shape_[0]; y += segment.chunk[1]) {
    for (hsize_t x = 0; x < frame_shape_[1]; x += segment.chunk[2]) {
      const std::array<hsize_t, 3> stacked_offset = {first, y, x};
      const std::array<hsize_t, 2> single_offset = {y, x};
      unsigned mask = 0;
      haddr_t address = HADDR_UNDEF;
      hsize_t size = 0;
      const hsize_t* offset = segment.stacked ? stacked_offset.data() : single_offset.data();
      const auto where = [&] {
        return "cannot read frame " + std::to_string(index) + " (" + segment.path + " frame " + std::to_string(local) +
               "): chunk at (" + (segment.stacked ? std::to_string(first) + ", " : "") + std::to_string(y) + ", " +
               std::to_string(x) + ")";
      };
      if (H5Dget_chunk_info_by_coord(segment.dataset.get(), offset, &mask, &address, &size) < 0)
        fail(where() + ": damaged chunk index: " + h5::last_error());
      if (address == HADDR_UNDEF) continue;  // never written: libhdf5 gives the fill value
      if (size > largest || address > segment.file_size || size > segment.file_size - address)
        fail(where() + " claims " + std::to_string(size) + " bytes at offset " + std::to_string(address) + " of a " +
             std::to_string(segment.file_size) + "-byte file (damaged chunk index)");
    }
  }
}

Frame Hdf5Source::read(std::size_t index) {
  if (index >= frame_count_)
    throw std::out_of_range(path_.string() + ": frame " + std::to_string(index) + " of " + std::to_string(frame_count_));
  std::size_t local = index;
  auto segment = segments_.begin();
  while (local >= segment->frames) local -= (segment++)->frames;

  const h5::Quiet quiet;
  check_chunks(*segment, local, index);
  Frame frame = make_frame(frame_shape_, pixels_.type, path_.string() + " frame " + std::to_string(index));
  frame.metadata = metadata_;
  const hid_t dataset = segment->dataset.get();
  const h5::Handle file_space(H5Dget_space(dataset), H5Sclose);
  const std::array<hsize_t, 2> memory_dims = {frame_shape_[0], frame_shape_[1]};
  const h5::Handle memory_space(H5Screate_simple(2, memory_dims.data(), nullptr), H5Sclose);
  bool ok = file_space && memory_space;
  if (ok && segment->stacked) {
    const std::array<hsize_t, 3> start = {local, 0, 0};
    const std::array<hsize_t, 3> count = {1, frame_shape_[0], frame_shape_[1]};
    ok = H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) >= 0;
  }
  if (!ok || H5Dread(dataset, pixels_.memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, frame.data.data()) < 0)
    fail("cannot read frame " + std::to_string(index) + " (" + segment->path + " frame " + std::to_string(local) +
         "): " + h5::last_error());
  return frame;
}

}  // namespace

std::unique_ptr<FrameSource> open_hdf5(const std::filesystem::path& path, const std::string& dataset) {
  // libhdf5 segfaults on some corrupt files (io/child_probe.cpp), so a forked child first does
  // what a reader does first: open, find the datasets, read the metadata and frame 0. Only when
  // it survives is the file opened here. Later frames are not probed: that would cost a second
  // read of the whole stack, and every crash found so far is in the metadata, which the probe walks.
  probe_in_child(path, "libhdf5", [&] {
    Hdf5Source probe(path, dataset);
    probe.read(0);
  });
  return std::make_unique<Hdf5Source>(path, dataset);
}

}  // namespace vulkanite::io

// SMP's reader of dlib's landmark model file against dlib::deserialize: the same predictor to the
// bit, on Debian's model and on small hand-made files with every kind of float, and an
// InputError (never a crash) for a cut or damaged file.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "smp/core/errors.h"
#include "smp/face/face.h"
#include "test_support.h"

namespace smp {
namespace {

using Model = std::shared_ptr<const FaceModel>;

Model load_with(const std::string& path, ModelReader reader) {
  return FaceModel::load(path, reader);
}

// Debian's model read both ways, once per test binary (~0.5 s).
const FaceModel& fast_model() {
  static Model m = load_with(FaceModel::default_model_path(), ModelReader::kFastOnly);
  return *m;
}
const FaceModel& dlib_model() {
  static Model m = load_with(FaceModel::default_model_path(), ModelReader::kDlibOnly);
  return *m;
}

// The InputError's reason when `path` does not load, "" when it does.
std::string load_error(const std::string& path, ModelReader reader) {
  try {
    load_with(path, reader);
    return "";
  } catch (const InputError& e) {
    return e.reason();
  }
}

// ------------------------------------------------------------- dlib's serialisation, by hand

// dlib's integer: a control byte (the byte count, 0x80 for negative), then |v| little-endian.
std::string dlib_int(int64_t v) {
  const bool negative = v < 0;
  uint64_t u = negative ? 0 - uint64_t(v) : uint64_t(v);
  std::string bytes;
  do {
    bytes.push_back(char(u & 0xFF));
    u >>= 8;
  } while (u != 0);
  return char(bytes.size() | (negative ? 0x80 : 0)) + bytes;
}

// A float as dlib's float_details: mantissa * 2^exponent, exponent 32000-32002 for inf, -inf,
// NaN.
std::string dlib_float(int64_t mantissa, int16_t exponent) {
  return dlib_int(mantissa) + dlib_int(exponent);
}

// Floats the model's writer never produces but the format allows; each must come out as dlib
// makes it (through ldexpf's rounding, its underflow and overflow, and its special codes).
std::vector<std::string> unusual_floats() {
  return {
      dlib_float(0, 40),               // zero, as dlib writes it
      dlib_float(5, -3),               // small mantissa
      dlib_float(-12345, -20),         // negative
      dlib_float(0x4d38f1, -29),       // a typical weight of the model
      dlib_float(1, -126),             // smallest normal
      dlib_float(1, -127),             // subnormal
      dlib_float(1, -149),             // smallest subnormal
      dlib_float(3, -150),             // a subnormal half-way case (rounds to even)
      dlib_float(1, -160),             // underflows to 0
      dlib_float(-1, -32768),          // the lowest exponent: -0
      dlib_float(1, 127),              // largest power of two
      dlib_float(1, 128),              // overflows to inf
      dlib_float(0xFFFFFF, 104),       // largest float
      dlib_float(0x1FFFFFF, -10),      // 25 bits: rounded to float
      dlib_float(INT64_MAX, -70),      // 8-byte mantissa
      dlib_float(-INT64_MAX, 2),       // 8-byte negative mantissa
      dlib_float(0x123456789ab, -40),  // 6-byte mantissa, rounded
      dlib_float(7, 32000),            // inf
      dlib_float(7, 32001),            // -inf
      dlib_float(0, 32002),            // NaN
      dlib_float(1, 32767),            // any higher code: NaN
      dlib_float(3, 300),              // overflows to inf
      dlib_float(3, -300),             // underflows to 0
      // The common 6-byte shape (3-byte mantissa, 1-byte exponent) at the edges of the range
      // where the reader multiplies by 2^x instead of calling ldexpf.
      dlib_float(0x10000, -126), dlib_float(0x10000, -127), dlib_float(-0xABCDEF, 104),
      dlib_float(0xFFFFFF, 105),                   // overflows to inf
      dlib_float(0x800000, -149),                  // 2^-126
      dlib_float(0x123457, -160),                  // subnormal, rounded
      std::string("\x03\x01\x00\x00\x81\x7e", 6),  // 1 * 2^-126 in 3 bytes (not minimal)
      std::string("\x03\x00\x00\x00\x81\x05", 6),  // 0 in 3 bytes
      std::string("\x83\x00\x00\x00\x01\x05", 6),  // -0 in 3 bytes: +0, as dlib reads it
      std::string("\x01\x09\x71\x03", 4),          // reserved bits in the exponent's control byte
      std::string("\x02\x09\x00\x01\x05", 5),      // a mantissa with a leading zero byte
  };
}

// A well-formed 68-point model in dlib's format: the initial shape's first floats `floats`,
// the rest ordinary; one cascade of one tree (one split, two leaves) over two pixels.
std::string small_model(const std::vector<std::string>& floats) {
  std::string shape = dlib_int(-136) + dlib_int(-1);  // rows, columns (newer format: negated)
  for (int i = 0; i < 136; ++i)
    shape += i < int(floats.size()) ? floats[i] : dlib_float(100 + i, -8);
  std::string leaf = dlib_int(-136) + dlib_int(-1);
  for (int i = 0; i < 136; ++i) leaf += dlib_float(i % 2 ? -i : i, -12);
  std::string m = dlib_int(1);     // version
  m += shape;                      // initial_shape
  m += dlib_int(1) + dlib_int(1);  // forests: one cascade of one tree
  m += dlib_int(1) + dlib_int(0) + dlib_int(1) + dlib_float(-3, -4);  // splits {idx1, idx2, thresh}
  m += dlib_int(2) + leaf + leaf;                                     // leaf_values
  m += dlib_int(1) + dlib_int(2) + dlib_int(17) + dlib_int(40);       // anchor_idx
  m += dlib_int(1) + dlib_int(2);                                     // deltas
  for (const auto& f :
       {dlib_float(1, -3), dlib_float(-5, -6), dlib_float(0, 40), dlib_float(9, -2)})
    m += f;
  return m;
}

// ------------------------------------------------------------------------------------ tests

TEST(ModelReader, DebiansModelIsDlibsPredictorBitForBit) {
  // Every float of the predictor (initial shape, split thresholds, leaves, pixel deltas) and
  // every index: a single wrong exponent or rounding would show here.
  EXPECT_TRUE(same_landmark_model(fast_model(), dlib_model()));
  EXPECT_TRUE(same_landmark_model(test::face_model(), dlib_model()));  // load()'s default
}

TEST(ModelReader, LandmarksAreDlibsToTheBit) {
  const std::vector<Face> fast = fast_model().detect(test::bald_guys()),
                          ref = dlib_model().detect(test::bald_guys());
  ASSERT_GE(fast.size(), 15u);
  ASSERT_EQ(fast.size(), ref.size());
  for (size_t i = 0; i < fast.size(); ++i)
    for (int k = 0; k < 68; ++k)
      EXPECT_EQ(fast[i].landmarks[k], ref[i].landmarks[k]) << i << " " << k;
}

TEST(ModelReader, OneChangedByteIsSeen) {
  // The comparison itself is sharp: Debian's model with the first float's exponent one lower
  // (bytes: version 01 01, rows 81 88, columns 81 01, mantissa 03 xx xx xx, exponent 81 1d) is
  // another model, and both readers read the change the same way.
  test::TempDir t;
  std::string bytes = test::slurp(FaceModel::default_model_path());
  ASSERT_EQ(bytes.substr(0, 12),
            std::string("\x01\x01\x81\x88\x81\x01\x03\x4d\x38\xf1\x81\x1d", 12));
  bytes[11] = 0x1c;
  test::write_bytes(t.path("changed.dat"), bytes);
  Model fast = load_with(t.path("changed.dat"), ModelReader::kFastOnly);
  EXPECT_FALSE(same_landmark_model(*fast, dlib_model()));
  EXPECT_TRUE(
      same_landmark_model(*fast, *load_with(t.path("changed.dat"), ModelReader::kDlibOnly)));
}

TEST(ModelReader, EveryKindOfFloatIsDlibs) {
  test::TempDir t;
  test::write_bytes(t.path("small.dat"), small_model(unusual_floats()));
  Model fast = load_with(t.path("small.dat"), ModelReader::kFastOnly);
  Model ref = load_with(t.path("small.dat"), ModelReader::kDlibOnly);
  EXPECT_TRUE(same_landmark_model(*fast, *ref));
  // And each one alone at the very end of a file, where fewer bytes are left than the longest
  // float takes (the reader's careful path).
  for (const std::string& f : unusual_floats()) {
    std::string m = small_model({});
    const std::string last = dlib_float(9, -2);
    ASSERT_EQ(m.substr(m.size() - last.size()), last);
    m.replace(m.size() - last.size(), last.size(), f);
    test::write_bytes(t.path("end.dat"), m);
    EXPECT_TRUE(same_landmark_model(*load_with(t.path("end.dat"), ModelReader::kFastOnly),
                                    *load_with(t.path("end.dat"), ModelReader::kDlibOnly)));
  }
}

TEST(ModelReader, DlibsOldTextFloatsAreLeftToDlib) {
  // Before 2013 dlib wrote floats as text ("0.25 "): SMP's reader hands such a file to dlib.
  test::TempDir t;
  test::write_bytes(t.path("text.dat"), small_model({"0.25 ", "-3e-05 "}));
  EXPECT_EQ(load_error(t.path("text.dat"), ModelReader::kFastOnly), "not a dlib landmark model");
  Model read = load_with(t.path("text.dat"), ModelReader::kFastOrDlib);
  EXPECT_TRUE(same_landmark_model(*read, *load_with(t.path("text.dat"), ModelReader::kDlibOnly)));
}

TEST(ModelReader, ACutModelIsAnInputError) {
  test::TempDir t;
  const std::string bytes = test::slurp(FaceModel::default_model_path());
  ASSERT_GT(bytes.size(), 90u << 20);
  for (size_t size : {size_t(0), size_t(1), size_t(7), size_t(1) << 20, bytes.size() * 99 / 100,
                      bytes.size() - 1}) {
    test::write_bytes(t.path("cut.dat"), bytes.substr(0, size));
    EXPECT_EQ(load_error(t.path("cut.dat"), ModelReader::kFastOrDlib), "not a dlib landmark model")
        << size;
  }
  // The small model cut anywhere: dlib refuses each cut too.
  const std::string small = small_model(unusual_floats());
  for (size_t size = 0; size < small.size(); ++size) {
    test::write_bytes(t.path("cut.dat"), small.substr(0, size));
    ASSERT_EQ(load_error(t.path("cut.dat"), ModelReader::kFastOrDlib), "not a dlib landmark model")
        << size;
    ASSERT_NE(load_error(t.path("cut.dat"), ModelReader::kDlibOnly), "") << size;
  }
}

TEST(ModelReader, ADamagedModelIsAnInputErrorOrDlibsReading) {
  // Each byte of the small model replaced by a few values: SMP's reader refuses the file with an
  // InputError, or reads exactly what dlib reads. Indices out of range (which dlib would load
  // and then read out of bounds with) are refused by both.
  test::TempDir t;
  const std::string good = small_model(unusual_floats());
  int read = 0, refused = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (int value : {0x00, 0x02, 0x08, 0x0F, 0x80, 0xFF, good[i] ^ 0x01}) {
      std::string bad = good;
      bad[i] = char(value);
      if (bad == good) continue;
      test::write_bytes(t.path("bad.dat"), bad);
      Model fast;
      try {
        fast = load_with(t.path("bad.dat"), ModelReader::kFastOnly);
      } catch (const InputError&) {
        ++refused;
        continue;
      }
      ++read;
      Model ref = load_with(t.path("bad.dat"), ModelReader::kDlibOnly);
      ASSERT_TRUE(same_landmark_model(*fast, *ref)) << i << " " << value;
    }
  }
  EXPECT_GT(read, 1000);
  EXPECT_GT(refused, 1000);
}

}  // namespace
}  // namespace smp

#include "smp/image/colour.h"

#include <algorithm>
#include <cmath>

#include "smp/core/errors.h"
#include "smp/core/parallel.h"

namespace smp {

double srgb_to_linear(double v) {
  return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}
double linear_to_srgb(double v) {
  v = std::clamp(v, 0.0, 1.0);
  return v <= 0.0031308 ? v * 12.92 : 1.055 * std::pow(v, 1.0 / 2.4) - 0.055;
}

const std::array<float, 256>& srgb8_to_linear_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = static_cast<float>(srgb_to_linear(i / 255.0));
    return t;
  }();
  return table;
}

namespace {
// linear [0,1] -> sRGB code, through a 4096-entry table (error < 0.5 code value).
struct ToSrgbTable {
  static constexpr int kN = 4096;
  std::array<uint8_t, kN + 1> t{};
  ToSrgbTable() {
    for (int i = 0; i <= kN; ++i)
      t[i] = static_cast<uint8_t>(std::lround(linear_to_srgb(double(i) / kN) * 255.0));
  }
};
}  // namespace

cv::Mat to_linear(const cv::Mat& bgr8) {
  SMP_CHECK_EQ(bgr8.type(), CV_8UC3);
  cv::Mat out(bgr8.size(), CV_32FC3);
  const auto& lut = srgb8_to_linear_table();
  parallel_for(bgr8.rows, [&](int y0, int y1) {
    for (int y = y0; y < y1; ++y) {
      const uint8_t* s = bgr8.ptr<uint8_t>(y);
      float* d = out.ptr<float>(y);
      for (int i = 0; i < bgr8.cols * 3; ++i) d[i] = lut[s[i]];
    }
  });
  return out;
}

cv::Mat to_srgb8(const cv::Mat& lin) {
  SMP_CHECK_EQ(lin.type(), CV_32FC3);
  static const ToSrgbTable table;
  cv::Mat out(lin.size(), CV_8UC3);
  parallel_for(lin.rows, [&](int y0, int y1) {
    for (int y = y0; y < y1; ++y) {
      const float* s = lin.ptr<float>(y);
      uint8_t* d = out.ptr<uint8_t>(y);
      for (int i = 0; i < lin.cols * 3; ++i) {
        float v = std::clamp(s[i], 0.0f, 1.0f);
        // Nearest table entry, then exact rounding fix-up is unnecessary: the table step is fine.
        d[i] = table.t[static_cast<int>(v * ToSrgbTable::kN + 0.5f)];
      }
    }
  });
  return out;
}

namespace {
double lab_f(double t) {
  const double d = 6.0 / 29.0;
  return t > d * d * d ? std::cbrt(t) : t / (3 * d * d) + 4.0 / 29.0;
}
double lab_finv(double t) {
  const double d = 6.0 / 29.0;
  return t > d ? t * t * t : 3 * d * d * (t - 4.0 / 29.0);
}
constexpr double kXn = 0.95047, kYn = 1.0, kZn = 1.08883;  // D65
}  // namespace

Lab linear_bgr_to_lab(const cv::Vec3d& c) {
  double b = c[0], g = c[1], r = c[2];
  double X = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
  double Y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
  double Z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
  double fx = lab_f(X / kXn), fy = lab_f(Y / kYn), fz = lab_f(Z / kZn);
  return {116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)};
}

cv::Vec3d lab_to_linear_bgr(const Lab& lab) {
  double fy = (lab.L + 16) / 116, fx = fy + lab.a / 500, fz = fy - lab.b / 200;
  double X = kXn * lab_finv(fx), Y = kYn * lab_finv(fy), Z = kZn * lab_finv(fz);
  double r = 3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z;
  double g = -0.9692660 * X + 1.8760108 * Y + 0.0415560 * Z;
  double b = 0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z;
  return {b, g, r};
}

Lab srgb8_to_lab(const cv::Vec3b& p) {
  const auto& lut = srgb8_to_linear_table();
  return linear_bgr_to_lab({lut[p[0]], lut[p[1]], lut[p[2]]});
}

Lab srgb_bgr_to_lab(const cv::Vec3d& s) {
  return linear_bgr_to_lab(
      {srgb_to_linear(s[0] / 255.0), srgb_to_linear(s[1] / 255.0), srgb_to_linear(s[2] / 255.0)});
}

double delta_e2000(const Lab& x, const Lab& y) {
  const double pi = 3.14159265358979323846;
  auto deg = [&](double r) { return r * 180.0 / pi; };
  auto rad = [&](double d) { return d * pi / 180.0; };
  double C1 = std::hypot(x.a, x.b), C2 = std::hypot(y.a, y.b);
  double Cm = (C1 + C2) / 2;
  double Cm7 = std::pow(Cm, 7);
  double G = 0.5 * (1 - std::sqrt(Cm7 / (Cm7 + std::pow(25.0, 7))));
  double a1 = (1 + G) * x.a, a2 = (1 + G) * y.a;
  double C1p = std::hypot(a1, x.b), C2p = std::hypot(a2, y.b);
  auto hue = [&](double b, double a) {
    if (a == 0 && b == 0) return 0.0;
    double h = deg(std::atan2(b, a));
    return h < 0 ? h + 360 : h;
  };
  double h1 = hue(x.b, a1), h2 = hue(y.b, a2);
  double dL = y.L - x.L, dC = C2p - C1p;
  double dh = 0;
  if (C1p * C2p != 0) {
    dh = h2 - h1;
    if (dh > 180)
      dh -= 360;
    else if (dh < -180)
      dh += 360;
  }
  double dH = 2 * std::sqrt(C1p * C2p) * std::sin(rad(dh / 2));
  double Lm = (x.L + y.L) / 2, Cmp = (C1p + C2p) / 2;
  double hm = h1 + h2;
  if (C1p * C2p != 0) {
    if (std::abs(h1 - h2) <= 180)
      hm = (h1 + h2) / 2;
    else
      hm = (h1 + h2 + (h1 + h2 < 360 ? 360 : -360)) / 2;
  }
  double T = 1 - 0.17 * std::cos(rad(hm - 30)) + 0.24 * std::cos(rad(2 * hm)) +
             0.32 * std::cos(rad(3 * hm + 6)) - 0.20 * std::cos(rad(4 * hm - 63));
  double dtheta = 30 * std::exp(-std::pow((hm - 275) / 25, 2));
  double Cmp7 = std::pow(Cmp, 7);
  double Rc = 2 * std::sqrt(Cmp7 / (Cmp7 + std::pow(25.0, 7)));
  double Sl = 1 + 0.015 * std::pow(Lm - 50, 2) / std::sqrt(20 + std::pow(Lm - 50, 2));
  double Sc = 1 + 0.045 * Cmp, Sh = 1 + 0.015 * Cmp * T;
  double Rt = -std::sin(rad(2 * dtheta)) * Rc;
  double tl = dL / Sl, tc = dC / Sc, th = dH / Sh;
  return std::sqrt(tl * tl + tc * tc + th * th + Rt * tc * th);
}

double ita_degrees(const Lab& lab) {
  // b* of skin is positive; guard the division for neutral greys.
  return std::atan((lab.L - 50) / std::max(lab.b, 1e-6)) * 180.0 / 3.14159265358979323846;
}

const char* ita_category(double ita) {
  if (ita > 55) return "very light";
  if (ita > 41) return "light";
  if (ita > 28) return "intermediate";
  if (ita > 10) return "tan";
  if (ita > -30) return "brown";
  return "dark";
}

Lab mean_lab(const cv::Mat& bgr8, const cv::Mat& mask8) {
  const auto& lut = srgb8_to_linear_table();
  cv::Vec3d sum(0, 0, 0);
  double n = 0;
  for (int y = 0; y < bgr8.rows; ++y) {
    const cv::Vec3b* p = bgr8.ptr<cv::Vec3b>(y);
    const uint8_t* m = mask8.empty() ? nullptr : mask8.ptr<uint8_t>(y);
    for (int x = 0; x < bgr8.cols; ++x) {
      if (m && !m[x]) continue;
      sum += cv::Vec3d(lut[p[x][0]], lut[p[x][1]], lut[p[x][2]]);
      n += 1;
    }
  }
  if (n == 0) return {};
  return linear_bgr_to_lab(sum / n);
}

namespace {

// sRGB [0,1] -> linear through a 4096-interval table, linearly interpolated (error < 1e-6).
struct GammaTable {
  static constexpr int kN = 4096;
  std::array<float, kN + 2> t{};
  GammaTable() {
    for (int i = 0; i <= kN + 1; ++i) t[i] = float(srgb_to_linear(std::min(1.0, double(i) / kN)));
  }
  float operator()(float v) const {
    if (!(v > 0)) return v * (1.0f / 12.92f);  // below 0 (and NaN): the linear segment
    if (v >= 1) return float(srgb_to_linear(v));
    const float x = v * kN;
    const int i = int(x);
    return t[i] + (t[i + 1] - t[i]) * (x - float(i));
  }
};

}  // namespace

cv::Mat bgr_to_lab(const cv::Mat& bgr) {
  SMP_CHECK(bgr.type() == CV_8UC3 || bgr.type() == CV_32FC3);
  // OpenCV's sRGB -> XYZ (D65) rows, divided by its white point (X 0.950456, Z 1.088754).
  constexpr float kX[3] = {0.180423f / 0.950456f, 0.357580f / 0.950456f, 0.412453f / 0.950456f};
  constexpr float kY[3] = {0.072169f, 0.715160f, 0.212671f};
  constexpr float kZ[3] = {0.950227f / 1.088754f, 0.119193f / 1.088754f, 0.019334f / 1.088754f};
  auto f = [](float t) { return t > 0.008856f ? std::cbrt(t) : 7.787f * t + 16.0f / 116.0f; };
  static const GammaTable gamma;
  const bool u8 = bgr.depth() == CV_8U;
  const auto& lut = srgb8_to_linear_table();
  cv::Mat lab(bgr.size(), bgr.type());
  parallel_for(bgr.rows, [&](int y0, int y1) {
    for (int y = y0; y < y1; ++y) {
      const uint8_t* s8 = bgr.ptr<uint8_t>(y);
      const float* s32 = bgr.ptr<float>(y);
      for (int x = 0; x < bgr.cols; ++x) {
        float c[3];
        for (int k = 0; k < 3; ++k) c[k] = u8 ? lut[s8[3 * x + k]] : gamma(s32[3 * x + k]);
        const float X = kX[0] * c[0] + kX[1] * c[1] + kX[2] * c[2];
        const float Y = kY[0] * c[0] + kY[1] * c[1] + kY[2] * c[2];
        const float Z = kZ[0] * c[0] + kZ[1] * c[1] + kZ[2] * c[2];
        const float fy = f(Y);
        const float L = Y > 0.008856f ? 116.0f * fy - 16.0f : 903.3f * Y;
        const float a = 500.0f * (f(X) - fy), b = 200.0f * (fy - f(Z));
        if (u8) {
          uint8_t* d = lab.ptr<uint8_t>(y) + 3 * x;
          d[0] = cv::saturate_cast<uint8_t>(L * (255.0f / 100.0f));
          d[1] = cv::saturate_cast<uint8_t>(a + 128.0f);
          d[2] = cv::saturate_cast<uint8_t>(b + 128.0f);
        } else {
          float* d = lab.ptr<float>(y) + 3 * x;
          d[0] = L;
          d[1] = a;
          d[2] = b;
        }
      }
    }
  });
  return lab;
}

}  // namespace smp

// The parts map: every pixel labelled hair, skin or background. Bald scalp is skin; beard and
// eyebrows are hair (the LFW Part Labels convention, so it can be scored against that truth).
//
// Front views (a face with landmarks): the head is warped to a canonical, landmark-aligned frame
// (the LFW frame: 250 px, eyes level), every pixel gets colour, texture and position features,
// and a small random forest trained on the development photos (parts_forest_data.cpp, generated
// by `smp-eval --train`) gives hair / skin / background probabilities. These are smoothed with a
// guided filter (the photo is the guide, so edges follow the photo) and carried back to the
// photo's size bilinearly. Top / back views (no face): GrabCut separates the central head blob
// from the background, and smooth skin-coloured pixels inside it are the bare scalp.
#pragma once
#include <opencv2/core.hpp>
#include <vector>

#include "smp/core/timings.h"
#include "smp/face/face.h"

namespace smp {

enum class Part : uint8_t { kBackground = 0, kSkin = 1, kHair = 2 };

// A random forest flattened into arrays (trained with cv::ml::RTrees, evaluated here without it).
struct PartsForest {
  struct Node {
    int16_t var;   // feature index; -1 for a leaf
    float thr;     // go to `left` when feature <= thr
    int32_t left;  // child index, or the class (Part) at a leaf
    int32_t right;
  };
  int n_features = 0;
  std::vector<int32_t> roots;
  std::vector<Node> nodes;

  bool empty() const { return roots.empty(); }
  // Votes per class (background, skin, hair), summing to 1.
  void predict(const float* features, float probs[3]) const;
};

// The forest shipped with the program (trained on the development photos).
const PartsForest& shipped_parts_forest();

struct PartsOptions {
  // Top views: segmentation runs on a copy downscaled to about this long side, then the labels
  // are carried back to full size with an edge-aware refinement.
  int work_long_side = 320;
  // Front views: the forest to use; null = the shipped one (smp-eval passes leave-one-out ones).
  const PartsForest* forest = nullptr;
  // When given, gets the front view's steps' times (features, classify, grabcut, ...).
  Timings* timings = nullptr;
};

// Labels (CV_8U, values of Part) of the photo's size. `face` may be null (top / back views).
cv::Mat segment_parts(const cv::Mat& bgr8, const Face* face, const PartsOptions& opt = {});

// LFW colours: hair (255,0,0), skin (0,255,0), background (0,0,255), as an 8-bit BGR image.
cv::Mat parts_to_colour(const cv::Mat& labels);
// The same colours by label value (BGR; Part's values index it): a palette for the map.
std::vector<cv::Vec3b> parts_palette();
// Inverse of parts_to_colour for ground-truth PNGs (nearest of the three colours).
cv::Mat parts_from_colour(const cv::Mat& bgr8);

// --- Training (smp-eval --train and its leave-one-out evaluation) ---

int parts_feature_count();

// Samples for training: features (N x parts_feature_count(), CV_32F) and labels (N x 1, CV_32S)
// of every `stride`-th pixel of the canonical frame, labels from `truth` (Part values, photo
// size) carried into the same frame.
struct PartsSamples {
  cv::Mat features;
  cv::Mat labels;
};
PartsSamples parts_training_samples(const cv::Mat& bgr8, const Face& face, const cv::Mat& truth,
                                    int stride = 3);

struct ForestParams {
  int trees = 30;
  int max_depth = 12;
  int min_samples = 10;
  // LOO on LFW (with mirror images), mean of three seeds: 3 gives hair IoU 0.427, 4 0.420, but
  // the forest of 3 trained on all photos finds 12.6 cm² of bald temple on a portrait (4: 0).
  float hair_weight = 4;
  // Seed of the bootstrap samples and split variables (the figures move with it by ~0.01 of
  // hair IoU: compare settings over several seeds).
  uint64_t seed = 0x5eed;
};
PartsForest train_parts_forest(const cv::Mat& features, const cv::Mat& labels,
                               const ForestParams& p = {});
// C++ source defining shipped_parts_forest() with this forest's arrays.
std::string parts_forest_to_cpp(const PartsForest& f, const std::string& comment);

}  // namespace smp

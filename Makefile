# The two commands a clinic needs: `make run` and `make test`. Each installs what is missing first.
BUILD ?= build
SMP_DATA ?= ../shared/data
OUT ?= out
JOBS ?= $(shell nproc)

.PHONY: deps build run test eval bench format clean

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The main job on the embedded default sample photo (a real photo Debian ships).
run: build
	@mkdir -p $(OUT)
	@bash scripts/run-sample.sh $(BUILD)/smp $(OUT)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Accuracy on the development photos (not part of `make test`: they are not in the repo).
eval: build
	$(BUILD)/smp-eval --data $(SMP_DATA)

bench: build
	bash bench/run.sh $(BUILD)

format:
	find src tests bench tools -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(OUT)

# The two commands a clinic needs: `make run` and `make test`. Each installs what is missing first.
BUILD ?= build
SMP_DATA ?= ../shared/data
OUT ?= out
JOBS ?= $(shell nproc)

.PHONY: deps test-deps configure build run test eval bench format clean

deps:
	@bash scripts/install-deps.sh

# Tests also need poppler (PDF pages), ImageMagick, Chromium + playwright-core (browser tests).
test-deps:
	@SMP_WITH_TEST_TOOLS=1 bash scripts/install-deps.sh
	@[ tests/web/node_modules/.package-lock.json -nt tests/web/package-lock.json ] || \
	  (cd tests/web && npm ci --no-audit --no-fund)

configure:
	@[ -f $(BUILD)/build.ninja ] || cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# The main job on the embedded default sample photo (a real photo Debian ships).
run: build
	@mkdir -p $(OUT)
	@bash scripts/run-sample.sh $(BUILD)/smp $(OUT)

test: test-deps configure
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Accuracy on the development photos (not part of `make test`: they are not in the repo).
eval: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target smp_eval
	$(BUILD)/smp-eval --data $(SMP_DATA)

bench: deps configure
	cmake --build $(BUILD) -j $(JOBS)
	bash bench/run.sh $(BUILD)

format:
	find src tests bench tools -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(OUT)

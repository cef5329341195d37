# The two commands of the README (both set up .venv/ first, or reuse it):
#   make demo   train the demo model on the built-in data (CPU, minutes), then
#               print its COCO AP against the untrained model and draw its
#               predictions on held-out images into $(WORK_DIR)
#   make test   run the test suite
PY := .venv/bin/python
DEMO_CONFIG ?= configs/demo/topdown-heatmap-small_1xb16-16e_synthcoco-128x96.py
WORK_DIR ?= work_dirs/demo

.PHONY: env demo test clean-env

env:
	bash tools/misc/setup_env.sh

demo: env
	$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(WORK_DIR)
	$(PY) tools/analysis/pose_demo.py $(DEMO_CONFIG) $(WORK_DIR)

test: env
	$(PY) -m pytest tests

clean-env:
	rm -rf .venv

#!/bin/sh
# SPDX-License-Identifier: ISC
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf -fi

#!/usr/bin/env node
'use strict';
require('../lib/main.js').main(process.argv.slice(2));

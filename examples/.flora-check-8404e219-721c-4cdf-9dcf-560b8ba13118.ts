/// <reference types="file:///work/main/sdk/globals.d.ts" />
import "file:///work/main/examples/ping.ts";

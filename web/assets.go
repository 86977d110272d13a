package web

import "embed"

// uiFiles is the browser UI: plain HTML, CSS and JavaScript modules.
//
//go:embed ui
var uiFiles embed.FS

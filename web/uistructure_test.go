package web

import (
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The UI's structure (web/ui/app.js): one state store, actions that change
// it, views that draw it. This test keeps it so: the modules import each
// other without a cycle, no action imports a view, and only views (and
// app.js, which wires DOM events) touch the page.

var importLine = regexp.MustCompile(`(?m)^import\s[^'"]*['"]([^'"]+)['"]`)

// pageAccess is code that reads or changes the page's elements.
var pageAccess = regexp.MustCompile(`getElementById|querySelector|createElement|\.textContent\s*=|\.classList|\.replaceChildren|\.hidden\s*=`)

func uiModules(t *testing.T) map[string]string {
	t.Helper()
	mods := map[string]string{}
	err := fs.WalkDir(uiFiles, "ui", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		data, err := fs.ReadFile(uiFiles, p)
		mods[strings.TrimPrefix(p, "ui/")] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return mods
}

func importsOf(mod, src string) []string {
	var out []string
	for _, m := range importLine.FindAllStringSubmatch(src, -1) {
		out = append(out, path.Clean(path.Join(path.Dir(mod), m[1])))
	}
	return out
}

func TestUIModulesHaveNoImportCycle(t *testing.T) {
	mods := uiModules(t)
	graph := map[string][]string{}
	for m, src := range mods {
		graph[m] = importsOf(m, src)
		for _, dep := range graph[m] {
			if _, ok := mods[dep]; !ok {
				t.Errorf("%s imports %s, which does not exist", m, dep)
			}
			if strings.HasPrefix(dep, "views/") && !strings.HasPrefix(m, "views/") && m != "app.js" {
				t.Errorf("%s (an action or service) imports the view %s: actions change state, views draw it", m, dep)
			}
		}
	}
	const (
		unseen = iota
		visiting
		done
	)
	mark := map[string]int{}
	var stack []string
	var visit func(string)
	visit = func(m string) {
		switch mark[m] {
		case visiting:
			i := slices.Index(stack, m)
			t.Errorf("import cycle: %s → %s", strings.Join(stack[i:], " → "), m)
			return
		case done:
			return
		}
		mark[m] = visiting
		stack = append(stack, m)
		for _, dep := range graph[m] {
			visit(dep)
		}
		stack = stack[:len(stack)-1]
		mark[m] = done
	}
	for m := range graph {
		visit(m)
	}
	if len(mods) < 15 {
		t.Fatalf("only %d modules found: is the walk broken?", len(mods))
	}
}

func TestOnlyViewsTouchThePage(t *testing.T) {
	for m, src := range uiModules(t) {
		if strings.HasPrefix(m, "views/") || m == "app.js" {
			continue
		}
		for i, line := range strings.Split(src, "\n") {
			code := strings.TrimSpace(line)
			if strings.HasPrefix(code, "//") || strings.HasPrefix(code, "*") {
				continue
			}
			if pageAccess.MatchString(code) {
				t.Errorf("%s:%d touches the page (%s): leave it to a view", m, i+1, code)
			}
		}
	}
}

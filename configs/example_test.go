package configs

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestExampleDocumentsEveryKey checks that xphone.example.yaml mentions every
// YAML key of Config, so the example cannot silently fall behind the structs.
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("xphone.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	keys := yamlKeys(reflect.TypeOf(Config{}), "")
	if len(keys) < 30 {
		t.Fatalf("only %d keys found; reflection walk broken?", len(keys))
	}
	for _, k := range keys {
		name := k[strings.LastIndex(k, ".")+1:]
		re := regexp.MustCompile(`(?m)^[\s#-]*` + regexp.QuoteMeta(name) + `:`)
		if !re.MatchString(text) {
			t.Errorf("example does not document %s", k)
		}
	}
}

func yamlKeys(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeOf(Duration(0)) {
		return nil
	}
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		keys = append(keys, prefix+tag)
		keys = append(keys, yamlKeys(t.Field(i).Type, prefix+tag+".")...)
	}
	return keys
}

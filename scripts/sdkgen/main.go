// Command sdkgen writes the linuxkit SDKs from schema.json with Pulumi's own
// code generators (github.com/pulumi/pulumi/pkg/v3/codegen/{nodejs,python,go}),
// the code `pulumi package gen-sdk` runs inside each language host. The CLI
// built here from Go modules has no Node.js, Python or Go host that
// implements GeneratePackage, so scripts/gen-sdks.sh builds this instead.
//
//	sdkgen SCHEMA OUT_DIR LANGUAGE...
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/blang/semver"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "pulumi-linuxkit sdkgen"

// noPackages is the loader for a schema that refers to no other package:
// any reference to one is an error naming it.
type noPackages struct{}

func (noPackages) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the linuxkit schema may not refer to package %q", pkg)
}

func (noPackages) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, fmt.Errorf("the linuxkit schema may not refer to package %q", d.Name)
}

func (noPackages) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("the linuxkit schema may not refer to package %q", pkg)
}

func (noPackages) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, fmt.Errorf("the linuxkit schema may not refer to package %q", d.Name)
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: sdkgen SCHEMA OUT_DIR LANGUAGE...")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3:]); err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen:", err)
		os.Exit(1)
	}
}

func run(schemaFile, out string, languages []string) error {
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		return err
	}
	for _, lang := range languages {
		// Each generator imports its own language section: bind afresh.
		var spec schema.PackageSpec
		if err := json.Unmarshal(raw, &spec); err != nil {
			return fmt.Errorf("%s: %w", schemaFile, err)
		}
		pkg, diags, err := schema.BindSpec(spec, noPackages{}, schema.ValidationOptions{})
		if err != nil {
			return err
		}
		if diags.HasErrors() {
			return fmt.Errorf("%s: %s", schemaFile, diags.Error())
		}
		var files map[string][]byte
		switch lang {
		case "nodejs":
			files, err = nodejs.GeneratePackage(tool, pkg, nil, nil, false, noPackages{})
			if err == nil {
				unshadowNodejs(files)
			}
		case "python":
			files, err = python.GeneratePackage(tool, pkg, nil, noPackages{})
			if err == nil {
				err = renamePython(raw, files)
				unshadowPython(files)
			}
		case "go":
			files, err = gogen.GeneratePackage(tool, pkg, nil)
		default:
			return fmt.Errorf("no generator for %q (nodejs, python, go)", lang)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", lang, err)
		}
		for name, data := range files {
			p := filepath.Join(out, lang, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// pythonNames collects each property's `language.python.name` from the raw
// schema, keyed by the name Pulumi's casing gives it (python.PyName).
// Pulumi's Python generator has no per-property name (its PropertyInfo
// holds only mapCase), so a name the casing spoils (`memoryMiB` →
// `memory_mi_b`) is chosen in the schema and applied here.
func pythonNames(raw []byte) (map[string]string, error) {
	type prop struct {
		Language struct {
			Python struct {
				Name string `json:"name"`
			} `json:"python"`
		} `json:"language"`
	}
	type object struct {
		Properties      map[string]prop `json:"properties"`
		InputProperties map[string]prop `json:"inputProperties"`
	}
	var doc struct {
		Config struct {
			Variables map[string]prop `json:"variables"`
		} `json:"config"`
		Provider  object            `json:"provider"`
		Resources map[string]object `json:"resources"`
		Types     map[string]object `json:"types"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	names := map[string]string{}
	add := func(props map[string]prop) error {
		for name, p := range props {
			want := p.Language.Python.Name
			if want == "" {
				continue
			}
			got := python.PyName(name)
			if prev, ok := names[got]; ok && prev != want {
				return fmt.Errorf("property %s: python name %q, but another property cased %q is named %q", name, want, got, prev)
			}
			names[got] = want
		}
		return nil
	}
	objects := []object{doc.Provider}
	for _, r := range doc.Resources {
		objects = append(objects, r)
	}
	for _, t := range doc.Types {
		objects = append(objects, t)
	}
	if err := add(doc.Config.Variables); err != nil {
		return nil, err
	}
	for _, o := range objects {
		if err := add(o.Properties); err != nil {
			return nil, err
		}
		if err := add(o.InputProperties); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// renamePython replaces each generated Python name with the schema's
// choice, as a whole word, in every Python file. The wire name stays: the
// generator writes it beside the Python name (`@pulumi.getter(name="memoryMiB")`).
func renamePython(raw []byte, files map[string][]byte) error {
	names, err := pythonNames(raw)
	if err != nil {
		return err
	}
	for from, to := range names {
		word := regexp.MustCompile(`\b` + regexp.QuoteMeta(from) + `\b`)
		for name, data := range files {
			if strings.HasSuffix(name, ".py") || strings.HasSuffix(name, ".pyi") {
				files[name] = word.ReplaceAll(data, []byte(to))
			}
		}
	}
	return nil
}

var nodeImport = regexp.MustCompile(`(?m)^import \{(\w+)\} from "\.\.";$`)

// unshadowNodejs fixes a name clash of Pulumi's Node.js generator: a
// resource of a module that takes the root module's resource of the same
// name (`linuxkit:gcp:Image` takes a `linuxkit:index:Image`) imports it
// under that name, which the class itself declares. The import becomes
// `Index<Name>`, and so does its use in the class's Args.
func unshadowNodejs(files map[string][]byte) {
	for name, data := range files {
		if !strings.HasSuffix(name, ".ts") {
			continue
		}
		text := string(data)
		for _, m := range nodeImport.FindAllStringSubmatch(text, -1) {
			cls := m[1]
			if !strings.Contains(text, "export class "+cls+" ") {
				continue
			}
			alias := "Index" + cls
			text = strings.Replace(text, m[0], "import {"+cls+" as "+alias+"} from \"..\";", 1)
			args := "export interface " + cls + "Args {"
			if i := strings.Index(text, args); i >= 0 {
				use := regexp.MustCompile(`pulumi\.Input<` + cls + `>`)
				text = text[:i] + use.ReplaceAllString(text[i:], "pulumi.Input<"+alias+">")
			}
		}
		files[name] = []byte(text)
	}
}

var pythonImport = regexp.MustCompile(`(?m)^from \.\.(\w*) import (\w+)$`)

// unshadowPython is unshadowNodejs for Python: the module's class of the
// same name shadows the imported one, so the input annotations
// (`pulumi.Input['Image']`) would name the wrong class.
func unshadowPython(files map[string][]byte) {
	for name, data := range files {
		if !strings.HasSuffix(name, ".py") {
			continue
		}
		text := string(data)
		for _, m := range pythonImport.FindAllStringSubmatch(text, -1) {
			cls := m[2]
			if !strings.Contains(text, "\nclass "+cls+"(") {
				continue
			}
			alias := "Index" + cls
			text = strings.Replace(text, m[0], "from .."+m[1]+" import "+cls+" as "+alias, 1)
			text = strings.ReplaceAll(text, "pulumi.Input['"+cls+"']", "pulumi.Input['"+alias+"']")
		}
		files[name] = []byte(text)
	}
}

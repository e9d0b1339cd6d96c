# shellcheck shell=bash
# Stage "docs" of scripts/test (sourced by it): the collection's docsite.
#
#   1. antsibull-docs lint-collection-docs: the modules' and roles'
#      documentation (schema, markup, references) and docs/docsite (extra-docs.yml,
#      the RST pages with rstcheck, their references to plugins and options);
#   2. the HTML site in .cache/docs/build/html: antsibull-docs sphinx-init, the
#      RST of every module and role (antsibull-docs collection --fail-on-error)
#      and sphinx-build -W (every warning an error). No network: the generated
#      conf.py gets an empty intersphinx_mapping, and tests/docs/offline_refs.py
#      links the two labels of the Ansible documentation the generated pages use;
#   3. pytest tests/docs: the page of scst_lun opened in headless Chromium, a
#      screenshot in tests/output/docs/ and its options table checked.
#
# The collection is found as scst.iscsi through the .collections link that
# scripts/bootstrap makes (.collections/ansible_collections/scst/iscsi).

DOCS_DIR="$ROOT/.cache/docs"

# Appended to the conf.py that antsibull-docs sphinx-init writes.
docs_offline_conf() {
    cat <<EOF

# --- scripts/test docs: built without network access ----------------------
import sys
sys.path.insert(0, '$ROOT/tests/docs')
intersphinx_mapping = {}
extensions.append('offline_refs')
EOF
}

stage_docs() {
    local collection="$ROOT/.collections/ansible_collections/$COLLECTION_NAMESPACE/$COLLECTION_NAME"
    local fqcn="$COLLECTION_NAMESPACE.$COLLECTION_NAME"
    [[ -d "$collection/plugins" ]] || {
        say "$collection is missing: scripts/bootstrap makes it"
        return 1
    }
    local env=(env ANSIBLE_COLLECTIONS_PATH="$ROOT/.collections")

    say "antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs (rstcheck included)"
    "${env[@]}" antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs \
        --validate-collection-refs all --disallow-unknown-collection-refs "$collection" || {
        say "the collection's documentation has the errors above"
        return 1
    }

    say "antsibull-docs sphinx-init + collection --fail-on-error into .cache/docs"
    rm -rf "$DOCS_DIR"
    mkdir -p "$DOCS_DIR"
    "${env[@]}" antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error \
        --dest-dir "$DOCS_DIR" --project "$fqcn" --copyright "$fqcn contributors" \
        --title "$fqcn collection" --html-short-title "$fqcn" "$fqcn" >"$DOCS_DIR/sphinx-init.log" 2>&1 || {
        cat "$DOCS_DIR/sphinx-init.log"
        return 1
    }
    docs_offline_conf >>"$DOCS_DIR/conf.py"
    mkdir -p "$DOCS_DIR/rst"
    chmod og-w "$DOCS_DIR/rst"
    (
        cd "$DOCS_DIR" || exit 1
        "${env[@]}" antsibull-docs --config-file antsibull-docs.cfg collection --use-current \
            --squash-hierarchy --fail-on-error --cleanup everything --dest-dir rst "$fqcn"
    ) || return 1

    say "sphinx-build -W -b html (warnings are errors)"
    sphinx-build -W --keep-going -q -b html -c "$DOCS_DIR" -d "$DOCS_DIR/doctrees" \
        "$DOCS_DIR/rst" "$DOCS_DIR/build/html" || {
        say "the docsite does not build cleanly: see the warnings above"
        return 1
    }
    local pages
    pages=$(find "$DOCS_DIR/build/html" -name '*.html' | wc -l)
    say "built $pages HTML pages: .cache/docs/build/html/index.html"

    say "pytest tests/docs (headless Chromium)"
    local junit="$OUTPUT/junit/docs.xml" rc=0
    rm -f "$junit"
    DOCS_HTML="$DOCS_DIR/build/html" python -m pytest -p no:cacheprovider --junitxml="$junit" tests/docs || rc=$?
    local counts
    counts="$("${HELPERS[@]}" junit-summary "$junit" 2>/dev/null || echo "0 0 0 0 0")"
    read -r D_TESTS D_PASSED D_FAILED D_ERRORS D_SKIPPED <<<"$counts"
    stage_detail "lint clean; $pages HTML pages; pytest: ${D_TESTS} tests, ${D_PASSED} passed, ${D_FAILED} failed, ${D_ERRORS} errors, ${D_SKIPPED} skipped"
    if ((rc == 0)) && ((D_SKIPPED > 0)); then
        say "a docs test was skipped: the screenshot check must run"
        return 1
    fi
    return "$rc"
}

register_stage docs yes "antsibull-docs lint, the HTML docsite (sphinx -W) and a screenshot test of it"

// Parses each file as Groovy, the language of a Jenkinsfile, without running it: a syntax error exits 1 with the
// compiler's message (file, line, column). Run by tests/generate/test_pipeline_linters.py in one JVM.
int bad = 0
for (String path : args) {
    try {
        new GroovyShell().parse(new File(path))
        println "ok ${path}"
    } catch (org.codehaus.groovy.control.MultipleCompilationErrorsException e) {
        bad++
        System.err.println "${path}: ${e.message}"
    }
}
System.exit(bad ? 1 : 0)

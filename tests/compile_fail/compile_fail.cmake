# ao_add_compile_fail_test(NAME SOURCE MESSAGE): SOURCE must fail to compile with MESSAGE in the compiler's output
# (a static_assert's text: the check fires for the reason stated, not for a typo), and must compile with
# -DAO_COMPILE_FAIL_CONTROL (the TU is otherwise sound). Syntax checks only: about a second each.
function(ao_add_compile_fail_test name source message)
  set(cmd ${CMAKE_CXX_COMPILER} -std=c++17 -fsyntax-only -I${PROJECT_SOURCE_DIR}/include
          ${CMAKE_CURRENT_SOURCE_DIR}/${source})
  add_test(NAME compile_fail.${name} COMMAND ${cmd})
  set_tests_properties(compile_fail.${name} PROPERTIES LABELS compile_fail PASS_REGULAR_EXPRESSION "${message}")
  add_test(NAME compile_fail.${name}.control COMMAND ${cmd} -DAO_COMPILE_FAIL_CONTROL)
  set_tests_properties(compile_fail.${name}.control PROPERTIES LABELS compile_fail)
endfunction()

//! Runs the chat example's offline journey against the in-process emulator and checks what it
//! told the reader.

#[allow(dead_code)]
#[path = "../../../../examples/chat.rs"]
mod example;

#[tokio::test]
async fn the_offline_chat_journey_runs_and_reports_each_step() {
    let mut out = Vec::new();
    example::run_offline(&mut out)
        .await
        .expect("the example runs");
    let text = String::from_utf8(out).expect("UTF-8 output");

    for expected in [
        "with Ada and Grace; 0 participant(s) not added.",
        "4. Ada added Linus and Nobody: 1 not added.",
        "_00000000-0000-0000-0000-000000000000 (404 Not found)",
        "retried 1 participant(s): 0 added, 1 still not added.",
        "   page 1: Ada, Grace\n   page 2: Linus\n",
        "   #6 Ada (html): <b>See you there</b>\n   #5 Grace (text): Sounds good!\n   #4 Ada (text): Noon at the usual place?\n",
        "   #1 participantAdded: Ada, Grace\n",
        "8. Deleted the thread and the three users.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

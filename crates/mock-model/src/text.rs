//! Text helpers: cutting a reply into deltas and filling in placeholders.

/// Values for the `{{user_text}}` and `{{tool_output}}` placeholders.
#[derive(Debug, Clone, Default)]
pub struct Placeholders {
    /// The last user message.
    pub user_text: String,
    /// The last tool output: what follows its last `Output:` line (codex's `exec_command`
    /// result format) or the whole output, trimmed.
    pub tool_output: String,
}

impl Placeholders {
    /// Placeholders for a request with this user text and last tool output.
    pub fn new(user_text: &str, tool_output: Option<&str>) -> Placeholders {
        let tool_output = tool_output.unwrap_or_default();
        let tool_output = tool_output
            .rsplit_once("Output:\n")
            .map_or(tool_output, |(_, tail)| tail);
        Placeholders {
            user_text: user_text.to_owned(),
            tool_output: tool_output.trim().to_owned(),
        }
    }

    /// `text` with the placeholders replaced.
    pub fn fill(&self, text: &str) -> String {
        if !text.contains("{{") {
            return text.to_owned();
        }
        text.replace("{{user_text}}", &self.user_text)
            .replace("{{tool_output}}", &self.tool_output)
    }
}

/// Cuts `text` into deltas: `chunks` pieces of about equal length (cut between words where
/// possible), or word by word (each piece after the first starts with the whitespace before its
/// word). Empty text has no delta.
pub fn split(text: &str, chunks: Option<usize>) -> Vec<String> {
    match chunks {
        Some(count) => split_even(text, count),
        None => split_words(text),
    }
}

fn split_words(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut previous_was_space = false;
    for (index, ch) in text.char_indices() {
        let is_space = ch.is_whitespace();
        if is_space && !previous_was_space && index > start {
            pieces.push(text[start..index].to_owned());
            start = index;
        }
        previous_was_space = is_space;
    }
    if start < text.len() {
        pieces.push(text[start..].to_owned());
    }
    pieces
}

/// Exactly `count` pieces (fewer only when the text has fewer characters), each cut at the
/// word boundary nearest to an even split when one is close enough, else mid-word.
fn split_even(text: &str, count: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let len = chars.len();
    if len == 0 {
        return Vec::new();
    }
    let count = count.clamp(1, len);
    let word_starts: Vec<usize> = (1..len)
        .filter(|&i| chars[i].is_whitespace() && !chars[i - 1].is_whitespace())
        .collect();
    let tolerance = len / count / 2 + 1;
    let mut cuts = vec![0];
    for k in 1..count {
        let previous = cuts.last().copied().unwrap_or(0);
        // Leave at least one character for this piece and each one after it.
        let (low, high) = (previous + 1, len - (count - k));
        let target = (k * len / count).clamp(low, high);
        let nearest_word = word_starts
            .iter()
            .copied()
            .filter(|&i| (low..=high).contains(&i))
            .min_by_key(|&i| i.abs_diff(target));
        let cut = match nearest_word {
            Some(i) if i.abs_diff(target) <= tolerance => i,
            _ => target,
        };
        cuts.push(cut);
    }
    cuts.push(len);
    cuts.windows(2)
        .map(|pair| chars[pair[0]..pair[1]].iter().collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_their_leading_whitespace() {
        assert_eq!(
            split("Hello from  mock\n\nok", None),
            ["Hello", " from", "  mock", "\n\nok"]
        );
        assert_eq!(split(" lead", None), [" lead"]);
        assert!(split("", None).is_empty());
    }

    #[test]
    fn even_chunks_concatenate() {
        let text = "Hello from mock, héhé";
        for count in 1..30 {
            let pieces = split(text, Some(count));
            assert_eq!(pieces.concat(), text);
            assert_eq!(pieces.len(), count.min(text.chars().count()));
        }
        assert_eq!(
            split("Hello from mock", Some(3)),
            ["Hello", " from", " mock"]
        );
        assert_eq!(split("abcdef", Some(3)), ["ab", "cd", "ef"]);
        assert_eq!(split("ab", Some(5)), ["a", "b"]);
    }

    #[test]
    fn placeholders() {
        let output = "Chunk ID: 1\nProcess exited with code 0\nOutput:\nhello\n";
        let values = Placeholders::new("say hi", Some(output));
        assert_eq!(
            values.fill("{{user_text}} -> {{tool_output}}"),
            "say hi -> hello"
        );
        assert_eq!(Placeholders::new("", Some(" raw ")).tool_output, "raw");
    }
}

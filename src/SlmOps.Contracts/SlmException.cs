using System;

namespace SlmOps
{
    /// <summary>
    /// A failure the user can act on: an SLMnnnn code (docs/errors.md), the file it is about when there is one, and a
    /// message that says what is wrong and what to do without repeating the code or the path (callers format those).
    /// Every area's exception derives from it (<c>OnnxModelException</c>, <c>QuantizationException</c>, …), so the
    /// worker and the CLI report them all with one catch.
    /// </summary>
    public abstract class SlmException : Exception
    {
        protected SlmException(string code, string? filePath, string message, Exception? innerException = null)
            : base(message, innerException)
        {
            Code = code ?? throw new ArgumentNullException(nameof(code));
            FilePath = filePath;
        }

        /// <summary>The SLMnnnn code.</summary>
        public string Code { get; }

        /// <summary>The absolute path of the file the error is about; null when it is about settings.</summary>
        public string? FilePath { get; }

        /// <summary>The error as one line: <c>error SLMnnnn: /path: message</c> (no path when there is none).</summary>
        public string ToErrorLine() => FilePath is null ? $"error {Code}: {Message}" : $"error {Code}: {FilePath}: {Message}";
    }
}
